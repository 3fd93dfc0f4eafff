using FsCheck;
using FsCheck.Fluent;

namespace AlignFx.Evaluation.Tests;

/// <summary>
/// The statistics compares report, checked against published reference values and against an independent
/// implementation written here: Student's t tail by Simpson integration of its density (no incomplete beta function).
/// </summary>
public sealed class StatisticsTests
{
    /// <summary>P(|T| ≥ |t|) for Student's t with <paramref name="df"/> degrees of freedom, by Simpson's rule on the density.</summary>
    private static double TwoSidedByIntegration(double t, double df)
    {
        double logNorm = LogGamma((df + 1) / 2) - LogGamma(df / 2) - (0.5 * Math.Log(df * Math.PI));
        double Density(double x) => Math.Exp(logNorm - ((df + 1) / 2 * Math.Log(1 + (x * x / df))));
        // P(|T| < |t|) = 2 ∫_0^|t| f; the central part is smooth, so 20,000 panels give ~1e-12.
        double a = Math.Abs(t);
        const int panels = 20_000;
        double h = a / panels, sum = Density(0) + Density(a);
        for (int i = 1; i < panels; i++)
        {
            sum += (i % 2 == 1 ? 4 : 2) * Density(i * h);
        }
        return 1 - (2 * sum * h / 3);
    }

    /// <summary>Lanczos approximation (g = 7), independent of Math.NET's.</summary>
    private static double LogGamma(double x)
    {
        double[] c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
        x -= 1;
        double s = c[0];
        for (int i = 1; i < 9; i++)
        {
            s += c[i] / (x + i);
        }
        double t = x + 7.5;
        return (0.5 * Math.Log(2 * Math.PI)) + ((x + 0.5) * Math.Log(t)) - t + Math.Log(s);
    }

    [Theory]
    [InlineData(1, 12.7062047)]
    [InlineData(2, 4.30265273)]
    [InlineData(30, 2.04227246)]
    [InlineData(40, 2.02107539)]
    [InlineData(120, 1.97993040)]
    public void Student_t_quantiles_match_the_published_table(int df, double expected) =>
        Assert.Equal(expected, MeanWithInterval.StudentT975(df), 6);

    [Fact]
    public void The_interval_of_three_seeds_is_the_t_interval_of_their_mean()
    {
        MeanWithInterval m = MeanWithInterval.Of([0.2, 0.4, 0.6, double.NaN]);
        Assert.Equal(3, m.Count);
        Assert.Equal(0.4, m.Mean, 12);
        Assert.Equal(4.30265273 * 0.2 / Math.Sqrt(3), m.HalfWidth, 6);
        Assert.Equal("0.4 ± 0.4968", m.ToString());
        Assert.Equal("n/a", MeanWithInterval.Of([]).ToString());
    }

    [Fact]
    public void Welch_matches_a_hand_computed_example()
    {
        // a: mean 3, var 5/2 (n 5); b: mean 6, var 34/3 (n 4). se² = 1/2 + 17/6 = 10/3; t = −3/√(10/3);
        // df = (10/3)² / ((1/2)²/4 + (17/6)²/3).
        double[] a = [1, 2, 3, 4, 5], b = [2, 5, 7, 10];
        TestResult r = SignificanceTests.Welch(a, b);
        Assert.Equal(-3, r.Difference, 12);
        Assert.Equal(-3 / Math.Sqrt(10.0 / 3), r.T, 12);
        Assert.Equal(100.0 / 9 / ((0.25 / 4) + (289.0 / 36 / 3)), r.DegreesOfFreedom, 12);
        Assert.Equal(TwoSidedByIntegration(r.T, r.DegreesOfFreedom), r.PValue, 8);
    }

    [Fact]
    public void The_paired_test_uses_the_differences_per_seed()
    {
        double[] a = [0.61, 0.58, 0.70, 0.66, 0.64], b = [0.52, 0.55, 0.60, 0.61, 0.50];
        TestResult r = SignificanceTests.Paired(a, b);
        double[] d = [.. a.Zip(b, (x, y) => x - y)];
        double mean = d.Average(), sd = Math.Sqrt(d.Sum(x => (x - mean) * (x - mean)) / 4);
        Assert.Equal(mean, r.Difference, 12);
        Assert.Equal(mean / (sd / Math.Sqrt(5)), r.T, 10);
        Assert.Equal(4, r.DegreesOfFreedom);
        Assert.Equal(TwoSidedByIntegration(r.T, 4), r.PValue, 8);
        Assert.Throws<ArgumentException>(() => SignificanceTests.Paired(a, [1.0]));
    }

    [Fact]
    public void Tests_without_enough_values_or_variance_give_no_p_value()
    {
        Assert.True(double.IsNaN(SignificanceTests.Welch([1.0], [2.0, 3.0]).PValue));
        Assert.True(double.IsNaN(SignificanceTests.Welch([1.0, 1.0], [1.0, 1.0]).PValue));
        Assert.True(double.IsNaN(SignificanceTests.Paired([1.0, 2.0], [0.0, 1.0]).PValue));
    }

    [Fact]
    public void Welch_p_values_agree_with_integration_over_random_samples() =>
        Prop.ForAll(
            Gen.Choose(2, 12).SelectMany(n => Gen.Choose(-1000, 1000).ArrayOf(n)).Select(xs => xs.Select(x => x / 100.0).ToArray()).ToArbitrary(),
            Gen.Choose(2, 12).SelectMany(n => Gen.Choose(-1000, 1000).ArrayOf(n)).Select(xs => xs.Select(x => (x / 100.0) + 1).ToArray()).ToArbitrary(),
            (a, b) =>
            {
                TestResult r = SignificanceTests.Welch(a, b);
                return double.IsNaN(r.PValue) || Math.Abs(r.PValue - TwoSidedByIntegration(r.T, r.DegreesOfFreedom)) < 1e-6;
            }).QuickCheckThrowOnFailure();

    [Fact]
    public void The_bootstrap_interval_of_the_mean_is_seeded_and_close_to_the_normal_interval()
    {
        var random = new Random(3);
        double[] xs = [.. Enumerable.Range(0, 400).Select(_ => random.NextDouble())];
        (double low, double high) = Bootstrap.PercentileInterval(xs, s => s.Average(), seed: 7);
        Assert.Equal((low, high), Bootstrap.PercentileInterval(xs, s => s.Average(), seed: 7));
        double mean = xs.Average(), se = Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Length - 1) / xs.Length);
        Assert.InRange(low, mean - (1.96 * se) - 0.005, mean - (1.96 * se) + 0.005);
        Assert.InRange(high, mean + (1.96 * se) - 0.005, mean + (1.96 * se) + 0.005);
    }
}
