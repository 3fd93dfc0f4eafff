using System.Globalization;
using System.Text.RegularExpressions;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Tasks.Arithmetic;

/// <summary>
/// The claims of arithmetic responses: each working step (<c>73*60=4380</c>) and the final claim, the prompt's
/// expression equal to the stated answer (<c>12+7*3=33</c>). A claim's difficulty is the task's scale applied to
/// its own expression (longest operand's digit count plus operations minus one), so one operation on two-digit
/// operands is 2, and the final claim is as hard as its problem. The text alone decides a claim's truth and
/// difficulty; the difficulty a caller passes in is not trusted.
/// </summary>
public sealed partial class ArithmeticClaims : IClaimChecker
{
    /// <inheritdoc />
    public IReadOnlyList<Claim> Claims(Response response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var parsed = ArithmeticResponse.Parse(response.Text);
        var claims = parsed.Steps.Select(s => Of(s.ToString())).ToList();
        if (parsed.Answer is { } answer && ArithmeticProblem.TryParse(response.Prompt.Text) is { } problem)
        {
            claims.Add(Of(string.Create(CultureInfo.InvariantCulture, $"{problem.Expression}={answer}")) with { IsFinal = true });
        }
        return claims;
    }

    /// <inheritdoc />
    public bool? Check(Claim claim, double verificationLimit)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return Read(claim.Text) is { } read && Difficulty(read) <= verificationLimit ? Value(read) == read.Result : null;
    }

    /// <inheritdoc />
    /// <remarks>
    /// A claim of several operations splits into its working steps in the task's order (multiplications first), the
    /// last carrying the claimed result, so the parts all hold exactly when the claim does. One operation does not
    /// split (yet): an empty list.
    /// </remarks>
    public IReadOnlyList<Claim> Split(Claim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (Read(claim.Text) is not { } read || read.Operators.Length < 2)
        {
            return [];
        }
        ArithmeticStep[] steps = ArithmeticProblem.Solve(read.Operands, read.Operators);
        steps[^1] = steps[^1] with { Result = read.Result };
        return [.. steps.Select(s => Of(s.ToString()))];
    }

    /// <inheritdoc />
    /// <remarks>
    /// The claimed result is off by e from the true one. An error d in step k's result reaches the final result as
    /// a·d, where a is the product of the factors the later steps apply to it (±1 through additions and subtractions,
    /// the other operand through a multiplication), so the step claims its true result plus e / a and every later step
    /// computes on from there. No such working exists when a does not divide e (a = 0 included), or when a false
    /// intermediate would be negative where the notation needs a non-negative operand (a right operand); then null.
    /// The last step always works (a = 1): it is <see cref="Split"/>.
    /// </remarks>
    public IReadOnlyList<Claim>? SplitWithFalseStep(Claim claim, int falseStep)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (Read(claim.Text) is not { } read || read.Operators.Length < 2)
        {
            return null;
        }
        ArithmeticStep[] truth = ArithmeticProblem.Solve(read.Operands, read.Operators);
        long error = read.Result - truth[^1].Result;
        if (falseStep < 0 || falseStep >= truth.Length || error == 0)
        {
            return null;
        }
        if (falseStep == truth.Length - 1)
        {
            return Split(claim);
        }
        long scale = ArithmeticProblem.Solve(read.Operands, read.Operators, falseStep, 1)[^1].Result - truth[^1].Result;
        if (scale == 0 || error % scale != 0)
        {
            return null;
        }
        ArithmeticStep[] steps = ArithmeticProblem.Solve(read.Operands, read.Operators, falseStep, error / scale);
        var parts = new List<Claim>(steps.Length);
        foreach (ArithmeticStep step in steps)
        {
            if (Read(step.ToString()) is not { } part)
            {
                return null;
            }
            parts.Add(new Claim(step.ToString(), Difficulty(part)));
        }
        return steps[^1].Result == read.Result ? parts : null;
    }

    /// <inheritdoc />
    public Claim? Corrected(Claim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (Read(claim.Text) is not { } read)
        {
            return null;
        }
        string expression = claim.Text[..claim.Text.LastIndexOf('=')];
        return Of(string.Create(CultureInfo.InvariantCulture, $"{expression}={Value(read)}")) with { IsFinal = claim.IsFinal };
    }

    /// <summary>A claim with its difficulty computed from its text.</summary>
    /// <param name="text">A claim in the task's notation, for example <c>7*3=21</c>.</param>
    /// <returns>The claim.</returns>
    /// <exception cref="ArgumentException">The text is not an expression equal to a number.</exception>
    public static Claim Of(string text) =>
        Read(text) is { } read ? new Claim(text, Difficulty(read)) : throw new ArgumentException($"'{text}' is not a claim of the arithmetic task (an expression = a number).", nameof(text));

    private sealed record Parsed(long[] Operands, string Operators, long Result);

    private static Parsed? Read(string text)
    {
        Match match = ClaimPattern().Match(text);
        if (!match.Success)
        {
            return null;
        }
        long[] operands = [.. match.Groups["operand"].Captures.Select(c => long.Parse(c.Value, CultureInfo.InvariantCulture))];
        string operators = string.Concat(match.Groups["op"].Captures.Select(c => c.Value));
        return new Parsed(operands, operators, long.Parse(match.Groups["result"].Value, CultureInfo.InvariantCulture));
    }

    private static int Difficulty(Parsed read) =>
        read.Operands.Max(o => Math.Abs(o).ToString(CultureInfo.InvariantCulture).Length) + read.Operators.Length - 1;

    private static long Value(Parsed read) => ArithmeticProblem.Solve(read.Operands, read.Operators)[^1].Result;

    [GeneratedRegex(@"^(?<operand>-?\d+)(?:(?<op>[+\-*])(?<operand>\d+))+=(?<result>-?\d+)$", RegexOptions.CultureInvariant)]
    private static partial Regex ClaimPattern();
}
