using MathNet.Numerics.Distributions;

namespace AlignFx.Evaluation;

/// <summary>The outcome of a two-sided test of a difference in means.</summary>
/// <param name="Difference">mean(a) − mean(b) (for the paired test, the mean of the differences).</param>
/// <param name="T">The t statistic.</param>
/// <param name="DegreesOfFreedom">Its degrees of freedom (Welch–Satterthwaite for the unpaired test).</param>
/// <param name="PValue">The two-sided p-value (NaN when the test is undefined: too few values, or no variance).</param>
public sealed record TestResult(double Difference, double T, double DegreesOfFreedom, double PValue);

/// <summary>
/// Tests of a difference between two arms over seeds: Welch's unpaired t-test (arms whose seeds are unrelated) and the
/// paired t-test (arms run on the same seeds, where seed i of one arm shares its base policy and prompts with seed i
/// of the other). Distributions from Math.NET.
/// </summary>
public static class SignificanceTests
{
    /// <summary>Welch's two-sided t-test of mean(a) = mean(b), not assuming equal variances. NaN values are left out.</summary>
    /// <param name="a">The first sample (at least two values).</param>
    /// <param name="b">The second sample (at least two values).</param>
    /// <returns>The difference, t, the Welch–Satterthwaite degrees of freedom and the p-value.</returns>
    public static TestResult Welch(IEnumerable<double> a, IEnumerable<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        double[] x = Finite(a), y = Finite(b);
        double difference = Mean(x) - Mean(y);
        if (x.Length < 2 || y.Length < 2)
        {
            return new TestResult(difference, double.NaN, double.NaN, double.NaN);
        }
        double vx = Variance(x) / x.Length, vy = Variance(y) / y.Length;
        double se = Math.Sqrt(vx + vy);
        if (se == 0)
        {
            return new TestResult(difference, double.NaN, double.NaN, double.NaN);
        }
        double df = (vx + vy) * (vx + vy) / ((vx * vx / (x.Length - 1)) + (vy * vy / (y.Length - 1)));
        double t = difference / se;
        return new TestResult(difference, t, df, TwoSided(t, df));
    }

    /// <summary>The paired two-sided t-test of mean(a − b) = 0; pairs with a NaN on either side are left out.</summary>
    /// <param name="a">The first arm's values, one per seed.</param>
    /// <param name="b">The second arm's values on the same seeds, in the same order.</param>
    /// <returns>The mean difference, t, n − 1 and the p-value.</returns>
    /// <exception cref="ArgumentException">The samples differ in length.</exception>
    public static TestResult Paired(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count)
        {
            throw new ArgumentException($"A paired test needs one value per seed on both sides; got {a.Count} and {b.Count}.", nameof(b));
        }
        double[] d = [.. a.Zip(b, (x, y) => x - y).Where(double.IsFinite)];
        double mean = Mean(d);
        if (d.Length < 2)
        {
            return new TestResult(mean, double.NaN, double.NaN, double.NaN);
        }
        double se = Math.Sqrt(Variance(d) / d.Length);
        if (se == 0)
        {
            return new TestResult(mean, double.NaN, d.Length - 1, double.NaN);
        }
        double t = mean / se;
        return new TestResult(mean, t, d.Length - 1, TwoSided(t, d.Length - 1));
    }

    private static double TwoSided(double t, double df) => 2 * StudentT.CDF(0, 1, df, -Math.Abs(t));

    private static double[] Finite(IEnumerable<double> values) => [.. values.Where(double.IsFinite)];

    private static double Mean(double[] xs) => xs.Length == 0 ? double.NaN : xs.Average();

    private static double Variance(double[] xs)
    {
        double mean = xs.Average();
        return xs.Sum(x => (x - mean) * (x - mean)) / (xs.Length - 1);
    }
}
