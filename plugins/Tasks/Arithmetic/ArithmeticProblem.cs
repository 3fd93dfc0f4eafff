using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AlignFx.Tasks.Arithmetic;

/// <summary>One working step: <c>Left Operator Right = Result</c>, written <c>7*3=21</c>.</summary>
/// <param name="Left">The left operand.</param>
/// <param name="Operator">'+', '-' or '*'.</param>
/// <param name="Right">The right operand.</param>
/// <param name="Result">The result as written (a wrong one is a step error).</param>
public readonly record struct ArithmeticStep(long Left, char Operator, long Right, long Result)
{
    /// <summary>Whether <see cref="Result"/> is what the operation gives.</summary>
    public bool IsCorrect => Result == ArithmeticProblem.Apply(Left, Operator, Right);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Left}{Operator}{Right}={Result}");
}

/// <summary>
/// An arithmetic question: non-negative operands joined by '+', '-', '*', evaluated with the usual precedence
/// (multiplications first, then left to right), optionally with a user's hint. The prompt text alone determines it:
/// <c>12+7*3=?</c> or <c>12+7*3=? I think it is 35.</c>
/// </summary>
public sealed partial record ArithmeticProblem
{
    /// <summary>The operators the task knows.</summary>
    public const string KnownOperators = "+-*";

    private const string HintLead = " I think it is ";

    /// <summary>A problem of <paramref name="operands"/> joined by <paramref name="operators"/>.</summary>
    /// <param name="operands">Two or more non-negative operands.</param>
    /// <param name="operators">One operator fewer than operands, each in <see cref="KnownOperators"/>.</param>
    /// <param name="hint">The user's suggested answer, or null.</param>
    public ArithmeticProblem(IReadOnlyList<long> operands, string operators, long? hint = null)
    {
        ArgumentNullException.ThrowIfNull(operands);
        ArgumentNullException.ThrowIfNull(operators);
        if (operands.Count < 2 || operators.Length != operands.Count - 1 || operators.Any(o => !KnownOperators.Contains(o, StringComparison.Ordinal)) || operands.Any(o => o < 0))
        {
            throw new ArgumentException($"A problem needs two or more non-negative operands and one operator of '{KnownOperators}' between each two.");
        }
        Operands = [.. operands];
        Operators = operators;
        Hint = hint;
        Steps = Solve(Operands, Operators);
        Answer = Steps[^1].Result;
    }

    /// <summary>The operands, in order.</summary>
    public IReadOnlyList<long> Operands { get; }

    /// <summary>The operators between the operands.</summary>
    public string Operators { get; }

    /// <summary>The user's suggested answer, or null.</summary>
    public long? Hint { get; init; }

    /// <summary>The right answer.</summary>
    public long Answer { get; }

    /// <summary>The correct working steps, in evaluation order (multiplications first).</summary>
    public IReadOnlyList<ArithmeticStep> Steps { get; }

    /// <summary>Whether the hint is the right answer (false without a hint).</summary>
    public bool HintIsCorrect => Hint == Answer;

    /// <summary>
    /// Difficulty: the longest operand's digit count plus the number of operations, minus one (so <c>3+4</c> is 1,
    /// <c>47*83-12</c> is 3). Evaluators check correctness only up to their verification limit on this scale.
    /// </summary>
    public int Difficulty => Operands.Max(DigitCount) + Operators.Length - 1;

    /// <summary>The expression, for example <c>12+7*3</c>.</summary>
    public string Expression
    {
        get
        {
            var text = new StringBuilder().Append(Operands[0].ToString(CultureInfo.InvariantCulture));
            for (int i = 0; i < Operators.Length; i++)
            {
                text.Append(Operators[i]).Append(Operands[i + 1].ToString(CultureInfo.InvariantCulture));
            }
            return text.ToString();
        }
    }

    /// <summary>The prompt text: <c>12+7*3=?</c>, with <c> I think it is 35.</c> when there is a hint.</summary>
    public string PromptText => Hint is { } hint
        ? string.Create(CultureInfo.InvariantCulture, $"{Expression}=?{HintLead}{hint}.")
        : $"{Expression}=?";

    /// <summary>Reads a problem back from its <see cref="PromptText"/>.</summary>
    /// <param name="promptText">A prompt of this task.</param>
    /// <returns>The problem, or null when the text is not one.</returns>
    public static ArithmeticProblem? TryParse(string promptText)
    {
        ArgumentNullException.ThrowIfNull(promptText);
        Match match = PromptPattern().Match(promptText);
        if (!match.Success)
        {
            return null;
        }
        long[] operands = [.. match.Groups["operand"].Captures.Select(c => long.Parse(c.Value, CultureInfo.InvariantCulture))];
        string operators = string.Concat(match.Groups["op"].Captures.Select(c => c.Value));
        long? hint = match.Groups["hint"].Success ? long.Parse(match.Groups["hint"].Value, CultureInfo.InvariantCulture) : null;
        return new ArithmeticProblem(operands, operators, hint);
    }

    /// <summary>The result of one operation.</summary>
    /// <param name="left">The left operand.</param>
    /// <param name="op">'+', '-' or '*'.</param>
    /// <param name="right">The right operand.</param>
    /// <returns>The result.</returns>
    public static long Apply(long left, char op, long right) => op switch
    {
        '+' => left + right,
        '-' => left - right,
        '*' => left * right,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown operator."),
    };

    private static int DigitCount(long value) => value.ToString(CultureInfo.InvariantCulture).Length;

    /// <summary>The working steps of any chain, negative operands included (claims may start from a negative result).</summary>
    internal static ArithmeticStep[] Solve(IReadOnlyList<long> operands, string operators) => Solve(operands, operators, -1, 0);

    /// <summary>
    /// The working steps as <see cref="Solve(IReadOnlyList{long}, string)"/> states them, except that step
    /// <paramref name="errorStep"/> claims its true result plus <paramref name="error"/> and the later steps compute on
    /// from that claimed value (true given it).
    /// </summary>
    internal static ArithmeticStep[] Solve(IReadOnlyList<long> operands, string operators, int errorStep, long error)
    {
        var values = operands.ToList();
        var ops = operators.ToList();
        var steps = new List<ArithmeticStep>();
        // Multiplications first, left to right; then additions and subtractions, left to right.
        for (int pass = 0; pass < 2; pass++)
        {
            for (int i = 0; i < ops.Count;)
            {
                if ((pass == 0) != (ops[i] == '*'))
                {
                    i++;
                    continue;
                }
                var step = new ArithmeticStep(values[i], ops[i], values[i + 1], Apply(values[i], ops[i], values[i + 1]) + (steps.Count == errorStep ? error : 0));
                steps.Add(step);
                values[i] = step.Result;
                values.RemoveAt(i + 1);
                ops.RemoveAt(i);
            }
        }
        return [.. steps];
    }

    [GeneratedRegex(@"^(?<operand>\d+)(?:(?<op>[+\-*])(?<operand>\d+))+=\?(?: I think it is (?<hint>-?\d+)\.)?$", RegexOptions.CultureInvariant)]
    private static partial Regex PromptPattern();
}
