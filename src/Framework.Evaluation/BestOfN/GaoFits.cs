namespace AlignFx.Evaluation;

/// <summary>The functional forms of Gao, Schulman and Hilton (2022) for gold reward against d = sqrt(KL).</summary>
public enum GaoForm
{
    /// <summary>Best-of-n: Δgold = d(α − βd).</summary>
    BestOfN,

    /// <summary>Reinforcement learning: Δgold = d(α − β ln d).</summary>
    Rl,
}

/// <summary>One run's curve: d = sqrt(KL) and the gold metric at each point, in the order the run logged them.</summary>
/// <param name="SqrtKl">d of each point.</param>
/// <param name="Gold">The gold metric at each point, as many as <paramref name="SqrtKl"/>.</param>
public sealed record GoldCurve(IReadOnlyList<double> SqrtKl, IReadOnlyList<double> Gold);

/// <summary>The Gao et al. fit of one arm's runs (its seeds).</summary>
/// <param name="Form">The functional form fitted.</param>
/// <param name="GoldAtZero">gold(0), the mean over the runs that were fitted of each run's gold at d = 0.</param>
/// <param name="Pooled">The fit of every fitted run's points together (each run's gain over its own gold(0)).</param>
/// <param name="PerRun">Each fitted run's own fit, in the order given.</param>
/// <param name="RunsWithoutZero">Runs left out because they logged no point at d = 0, so their gain is unknown.</param>
public sealed record ArmGoldFit(GaoForm Form, double GoldAtZero, GoldFit Pooled, IReadOnlyList<GoldFit> PerRun, int RunsWithoutZero);

/// <summary>Fits over runs: the analysis a compare report runs over the arms of an overoptimisation sweep.</summary>
public static class GaoFits
{
    /// <summary>d at or below this counts as d = 0 (the unchanged policy).</summary>
    public const double ZeroSqrtKl = 1e-9;

    /// <summary>
    /// Fits <paramref name="form"/> to the runs of one arm. Each run's gain is measured from its own gold at d = 0 (its
    /// first such point); a run without one is left out and counted, not guessed.
    /// </summary>
    /// <param name="form">Best-of-n or RL.</param>
    /// <param name="runs">The arm's runs.</param>
    /// <returns>The pooled and per-run fits.</returns>
    public static ArmGoldFit Fit(GaoForm form, IReadOnlyList<GoldCurve> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var fitted = new List<(GoldCurve Curve, double Zero)>();
        foreach (GoldCurve run in runs)
        {
            if (run.SqrtKl.Count != run.Gold.Count)
            {
                throw new ArgumentException($"a curve has {run.SqrtKl.Count} values of d but {run.Gold.Count} gold values.", nameof(runs));
            }
            int zero = Enumerable.Range(0, run.SqrtKl.Count).FirstOrDefault(i => Math.Abs(run.SqrtKl[i]) <= ZeroSqrtKl, -1);
            if (zero >= 0 && double.IsFinite(run.Gold[zero]))
            {
                fitted.Add((run, run.Gold[zero]));
            }
        }
        GoldFit Of(IReadOnlyList<double> d, IReadOnlyList<double> gain) =>
            form == GaoForm.BestOfN ? Overoptimisation.FitBestOfN(d, gain) : Overoptimisation.FitRl(d, gain);
        static double[] Gains((GoldCurve Curve, double Zero) r) => [.. r.Curve.Gold.Select(g => g - r.Zero)];

        GoldFit pooled = Of([.. fitted.SelectMany(r => r.Curve.SqrtKl)], [.. fitted.SelectMany(Gains)]);
        return new ArmGoldFit(form, fitted.Count > 0 ? fitted.Average(r => r.Zero) : double.NaN, pooled,
            [.. fitted.Select(r => Of(r.Curve.SqrtKl, Gains(r)))], runs.Count - fitted.Count);
    }
}
