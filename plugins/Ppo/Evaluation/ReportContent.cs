using AlignFx.Evaluation;
using System.Globalization;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Ppo.Evaluation;

/// <summary>Everything a report shows, gathered from a finished pipeline (renderers read only this).</summary>
/// <param name="Title">The report's title.</param>
/// <param name="Settings">Run settings as (name, value) rows.</param>
/// <param name="Results">The pipeline's <see cref="EvaluationResults"/> by artifact key, in <see cref="ReportContent.ResultKeys"/> order.</param>
/// <param name="History">The run's metric history (empty when the host keeps none).</param>
/// <param name="Samples">Sample responses before and after, or null.</param>
/// <param name="Sweep">The overoptimisation sweep, or null.</param>
/// <param name="Feedback">The collected feedback, or null.</param>
internal sealed record ReportContent(
    string Title,
    IReadOnlyList<(string Name, string Value)> Settings,
    IReadOnlyList<(string Key, EvaluationResults Results)> Results,
    IMetricHistory History,
    EvaluationSamples? Samples,
    OveroptimisationResults? Sweep,
    FeedbackDataset? Feedback)
{
    /// <summary>The result keys the pipeline's stages leave, in pipeline order.</summary>
    public static readonly string[] ResultKeys =
        ["pretrain", "feedback", "reward-model", "reward-model/eval", "optimize", PpoArtifacts.Overoptimisation.Name, PpoArtifacts.BaseResults.Name, PpoArtifacts.FinalResults.Name];

    /// <summary>The metrics of the base-versus-final table, when present.</summary>
    public static readonly string[] HeadlineMetrics =
    [
        MetricNames.Gold.Accuracy, MetricNames.Gold.AccuracyCheckable, MetricNames.Gold.AccuracyUncheckable, MetricNames.Proxy.RewardMean,
        MetricNames.Gold.SycophancyRate, MetricNames.Gold.ConfidentWhenWrong, MetricNames.Gold.ConfidentRate, MetricNames.Gold.StepsRate, MetricNames.Gold.MeanLength,
    ];

    /// <summary>The results stored under <paramref name="key"/>, or null.</summary>
    public EvaluationResults? Get(string key) => Results.FirstOrDefault(r => r.Key == key).Results;

    /// <summary>Stage ids whose points are the sweep's (they log <c>bon/*</c>); kept out of the main plots.</summary>
    public IReadOnlySet<string> SweepStages { get; } = SweepStageIds(History);

    /// <summary>Rows of the base-versus-final table: metric, base value, final value (NaN where missing).</summary>
    public IReadOnlyList<(string Metric, double Base, double Final)> BaseVersusFinal()
    {
        EvaluationResults? before = Get(PpoArtifacts.BaseResults.Name), after = Get(PpoArtifacts.FinalResults.Name);
        if (after is null)
        {
            return [];
        }
        IEnumerable<string> names = HeadlineMetrics.Where(m => after.Metrics.ContainsKey(m) || before?.Metrics.ContainsKey(m) == true);
        return [.. names.Select(m => (m, before?.Metrics.GetValueOrDefault(m, double.NaN) ?? double.NaN, after.Metrics.GetValueOrDefault(m, double.NaN)))];
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
