using System.Globalization;
using AlignFx.Abstractions.Runs;

namespace AlignFx.Ppo.Evaluation;

/// <summary>What the report stage reads from a finished pipeline (the section builders read only this).</summary>
/// <param name="Title">The report's title (the first section's heading).</param>
/// <param name="Base">The evaluate stage's results of the base policy, or null.</param>
/// <param name="Final">The evaluate stage's results of the final policy, or null.</param>
/// <param name="Results">Other stages' <see cref="EvaluationResults"/> the manifest named, by artifact key.</param>
/// <param name="History">The run's metric history (empty when the host keeps none).</param>
/// <param name="Samples">Sample responses before and after, or null.</param>
/// <param name="Sweep">The best-of-n overoptimisation curves, or null.</param>
internal sealed record ReportContent(
    string Title,
    EvaluationResults? Base,
    EvaluationResults? Final,
    IReadOnlyList<(string Key, EvaluationResults Results)> Results,
    IMetricHistory History,
    EvaluationSamples? Samples,
    OveroptimisationResults? Sweep)
{
    /// <summary>The metrics of the base-versus-final table, when present.</summary>
    public static readonly string[] HeadlineMetrics =
    [
        MetricNames.Gold.Accuracy, MetricNames.Gold.AccuracyCheckable, MetricNames.Gold.AccuracyUncheckable, MetricNames.Proxy.RewardMean,
        MetricNames.Gold.SycophancyRate, MetricNames.Gold.ConfidentWhenWrong, MetricNames.Gold.ConfidentRate, MetricNames.Gold.StepsRate, MetricNames.Gold.MeanLength,
    ];

    /// <summary>Stage ids whose points are the best-of-n sweep's (they log <c>bon/*</c>); kept out of the main plots.</summary>
    public IReadOnlySet<string> SweepStages { get; } = SweepStageIds(History);

    /// <summary>Rows of the base-versus-final table: metric, base value, final value (NaN where missing).</summary>
    public IReadOnlyList<(string Metric, double Base, double Final)> BaseVersusFinal()
    {
        if (Final is null)
        {
            return [];
        }
        IEnumerable<string> names = HeadlineMetrics.Where(m => Final.Metrics.ContainsKey(m) || Base?.Metrics.ContainsKey(m) == true);
        return [.. names.Select(m => (m, Base?.Metrics.GetValueOrDefault(m, double.NaN) ?? double.NaN, Final.Metrics.GetValueOrDefault(m, double.NaN)))];
    }

    /// <summary>The points of <paramref name="name"/> outside the sweep's stages.</summary>
    public IReadOnlyList<MetricPoint> MainSeries(string name) => [.. History.Read(name).Where(p => !SweepStages.Contains(p.StageId))];

    /// <summary>
    /// <paramref name="yName"/> against <paramref name="xName"/>, joined on (stage, step), outside the sweep's stages.
    /// </summary>
    public IReadOnlyList<(double X, double Y)> Joined(string xName, string yName)
    {
        var x = MainSeries(xName).GroupBy(p => (p.StageId, p.Step)).ToDictionary(g => g.Key, g => g.Last().Value);
        return [.. MainSeries(yName).Where(p => x.ContainsKey((p.StageId, p.Step))).Select(p => (x[(p.StageId, p.Step)], p.Value))];
    }

    /// <summary>A number for people: 4 significant figures, invariant culture, "n/a" for NaN.</summary>
    public static string Format(double value) => value switch
    {
        double.NaN => "n/a",
        double.PositiveInfinity => "∞",
        double.NegativeInfinity => "−∞",
        0 => "0",
        _ when value == Math.Round(value) && Math.Abs(value) < 1e9 => value.ToString("0", CultureInfo.InvariantCulture),
        _ when Math.Abs(value) >= 1e-3 && Math.Abs(value) < 1e5 => value.ToString("0.####", CultureInfo.InvariantCulture),
        _ => value.ToString("0.###e+0", CultureInfo.InvariantCulture),
    };

    /// <summary>A signed change, or "n/a".</summary>
    public static string FormatChange(double from, double to) =>
        double.IsFinite(from) && double.IsFinite(to) ? (to - from >= 0 ? "+" : "") + Format(to - from) : "n/a";

    private static HashSet<string> SweepStageIds(IMetricHistory history) =>
        [.. history.Names.Where(n => n.StartsWith(PpoMetrics.BestOfNSweepPrefix, StringComparison.Ordinal)).SelectMany(n => history.Read(n).Select(p => p.StageId))];
}

/// <summary>A metric history with nothing in it, for hosts that keep none.</summary>
internal sealed class EmptyMetricHistory : IMetricHistory
{
    public static readonly EmptyMetricHistory Instance = new();

    public IReadOnlyList<string> Names => [];

    public IReadOnlyList<MetricPoint> Read(string name) => [];
}
