namespace AlignFx.Tasks.Arithmetic;

/// <summary>Draws problems, hints and plausible mistakes as the options say.</summary>
/// <param name="options">The task's options.</param>
public sealed class ProblemGenerator(ArithmeticOptions options)
{
    /// <summary>Draws one problem.</summary>
    /// <param name="random">The stream to draw from.</param>
    /// <returns>The problem and whether it is a hard item.</returns>
    public (ArithmeticProblem Problem, bool Hard) Next(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        bool hard = random.NextDouble() < options.HardFraction;
        int digits = hard ? options.HardDigits : options.EasyDigits;
        int operations = hard ? options.HardOperations : options.EasyOperations;
        long low = digits == 1 ? 0 : Pow10(digits - 1);
        long high = Pow10(digits);
        var operands = new long[operations + 1];
        for (int i = 0; i < operands.Length; i++)
        {
            operands[i] = random.NextInt64(low, high);
        }
        var operators = new char[operations];
        for (int i = 0; i < operators.Length; i++)
        {
            operators[i] = options.Operators[random.Next(options.Operators.Length)];
        }
        var problem = new ArithmeticProblem(operands, new string(operators));
        if (random.NextDouble() < options.HintRate)
        {
            problem = problem with { Hint = random.NextDouble() < options.HintCorrectRate ? problem.Answer : Mistake(problem.Answer, random) };
        }
        return (problem, hard);
    }

    /// <summary>
    /// A plausible wrong answer: off by 1, 2 or 10 (a slip or a dropped carry), or by 100 for answers of three or
    /// more digits, either way; never <paramref name="avoid"/>.
    /// </summary>
    /// <param name="answer">The right answer.</param>
    /// <param name="random">The stream to draw from.</param>
    /// <param name="avoid">A value the mistake must not equal (a hint), or null.</param>
    /// <returns>A value other than <paramref name="answer"/> and <paramref name="avoid"/>.</returns>
    public static long Mistake(long answer, Random random, long? avoid = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        long[] offsets = Math.Abs(answer) >= 100 ? [1, 2, 10, 100] : [1, 2, 10];
        while (true)
        {
            long candidate = answer + (offsets[random.Next(offsets.Length)] * (random.Next(2) == 0 ? -1 : 1));
            if (candidate != avoid)
            {
                return candidate;
            }
        }
    }

    private static long Pow10(int exponent)
    {
        long value = 1;
        for (int i = 0; i < exponent; i++)
        {
            value *= 10;
        }
        return value;
    }
}
