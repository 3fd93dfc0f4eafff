namespace AlignFx.Evaluation.Tests;

public sealed class GaoFitsTests
{
    private static GoldCurve Rl(double gold0, double alpha, double beta, params double[] d) =>
        new(d, [.. d.Select(x => gold0 + (x == 0 ? 0 : x * (alpha - beta * Math.Log(x))))]);

    [Fact]
    public void Runs_on_one_exact_curve_from_different_starting_golds_give_back_its_coefficients()
    {
        // Each seed starts at its own gold(0) and is sampled at its own d: the gain over its own start is one curve.
        GoldCurve[] runs =
        [
            Rl(0.25, 0.3, 0.2, 0, 0.4, 0.9, 1.7, 2.5),
            Rl(0.40, 0.3, 0.2, 0, 0.2, 1.1, 2.0),
            Rl(0.31, 0.3, 0.2, 0, 0.6, 1.3, 1.9, 3.0),
        ];

        ArmGoldFit fit = GaoFits.Fit(GaoForm.Rl, runs);

        Assert.Equal(0.3, fit.Pooled.Alpha, 9);
        Assert.Equal(0.2, fit.Pooled.Beta, 9);
        Assert.Equal(1.0, fit.Pooled.RSquared, 9);
        Assert.Equal(Math.Exp(0.3 / 0.2 - 1), fit.Pooled.PeakSqrtKl, 9);
        Assert.Equal(4 + 3 + 4, fit.Pooled.Points); // the d = 0 points fit exactly and are not counted
        Assert.Equal((0.25 + 0.40 + 0.31) / 3, fit.GoldAtZero, 12);
        Assert.All(fit.PerRun, f => Assert.Equal(0.3, f.Alpha, 9));
        Assert.Equal(0, fit.RunsWithoutZero);
    }

    [Fact]
    public void The_pooled_fit_is_the_least_squares_fit_of_every_runs_gains_together()
    {
        // Two noisy best-of-n runs: the pooled fit equals the library's fit of the concatenated gains, and differs
        // from either run's own fit.
        double[] d1 = [0, 0.44, 0.80, 1.14, 1.45], d2 = [0, 0.44, 0.80, 1.14, 1.45];
        GoldCurve a = new(d1, [0.30, 0.37, 0.42, 0.41, 0.36]);
        GoldCurve b = new(d2, [0.28, 0.31, 0.40, 0.43, 0.38]);

        ArmGoldFit fit = GaoFits.Fit(GaoForm.BestOfN, [a, b]);

        GoldFit expected = Overoptimisation.FitBestOfN([.. d1, .. d2], [.. a.Gold.Select(g => g - 0.30), .. b.Gold.Select(g => g - 0.28)]);
        Assert.Equal(expected, fit.Pooled);
        Assert.Equal(Overoptimisation.FitBestOfN(d1, [.. a.Gold.Select(g => g - 0.30)]), fit.PerRun[0]);
        Assert.NotEqual(fit.PerRun[0].Alpha, fit.Pooled.Alpha);
    }

    [Fact]
    public void A_run_without_a_point_at_zero_KL_is_left_out_and_counted_not_guessed()
    {
        GoldCurve withZero = Rl(0.25, 0.3, 0.2, 0, 0.5, 1.0, 2.0);
        GoldCurve without = new([0.5, 1.0, 2.0], [0.9, 0.9, 0.9]);

        ArmGoldFit fit = GaoFits.Fit(GaoForm.Rl, [withZero, without]);

        Assert.Equal(1, fit.RunsWithoutZero);
        Assert.Single(fit.PerRun);
        Assert.Equal(0.25, fit.GoldAtZero, 12);
        Assert.Equal(0.3, fit.Pooled.Alpha, 9);
    }

    [Fact]
    public void No_run_at_zero_KL_gives_no_fit()
    {
        ArmGoldFit fit = GaoFits.Fit(GaoForm.BestOfN, [new GoldCurve([0.5, 1.0], [0.3, 0.2])]);

        Assert.True(double.IsNaN(fit.GoldAtZero));
        Assert.True(double.IsNaN(fit.Pooled.Alpha));
        Assert.Empty(fit.PerRun);
    }
}
