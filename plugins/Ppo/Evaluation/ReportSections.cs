using System.Globalization;
using System.Text;
using AlignFx.Abstractions.Runs;
using AlignFx.Evaluation;

namespace AlignFx.Ppo.Evaluation;

/// <summary>
/// What the <c>report</c> stage contributes to the host's run report, as data (the host renders it): the base-versus-
/// final table with the reward-hacking call, gold and proxy against sqrt(KL) and against steps, the learning curves,
/// the best-of-n sweep with its Gao et al. fits, sample responses, the results the manifest named, and disclosure facts.
/// </summary>
internal static class ReportSections
{
    private const string Step = "step", SqrtKlAxis = "d = sqrt(KL)";

    /// <summary>The contribution.</summary>
    public static ReportContribution Build(ReportContent content)
    {
        var rows = content.BaseVersusFinal();
        string? hacking = RewardHackingCall.Assess(content);
        var facts = new List<DisclosureFact>
        {
            new(DisclosureGroups.SystemicSafety, "Expected risks", hacking ?? "Reward hacking could not be assessed (no proxy and gold measurements of the optimised policy)."),
        };
        if (rows.Count > 0 && content.Base is not null)
        {
            double n = content.Final!.Metrics.GetValueOrDefault(PpoMetrics.GoldResponses, double.NaN);
            facts.Add(new DisclosureFact(DisclosureGroups.Policy, "Evaluation and results",
                string.Join("; ", rows.Take(4).Select(r => $"{r.Metric} {ReportContent.Format(r.Base)} → {ReportContent.Format(r.Final)}"))
                + $" (base → final policy on {(double.IsFinite(n) ? ReportContent.Format(n) + " " : "")}held-out prompts, same sampling seed)."));
        }

        var sections = new List<ReportSectionData>
        {
            new(content.Title, rows.Count == 0
                ? "No held-out evaluation of a base and a final policy in this run" + (hacking is null ? "." : $". {hacking}")
                : "Held-out prompts: the policy before and after optimisation (the evaluate stage's base and final results). " + (hacking ?? ""))
            {
                Tables = rows.Count == 0 ? [] : [new ReportTableData("base → final", ["metric", "base", "final", "change"], [.. rows.Select(Row)])],
            },
        };
        AddCharts(sections, "Optimisation against sqrt(KL)",
            "Gold and proxy at the optimiser's evaluations (fixed prompts, fixed sampling seed) against the square root of the KL to the reference, the x axis of Gao et al. (2022).",
            VersusKl(content));
        AddCharts(sections, "Optimisation against steps", null, VersusSteps(content));
        AddCharts(sections, "Reward model and pretraining", null, LearningCurves(content));
        if (content.Sweep is { Curves.Count: > 0 } sweep)
        {
            sections.Add(Sweep(sweep));
        }
        if (content.Samples is { Items.Count: > 0 } samples)
        {
            sections.Add(new ReportSectionData("Sample responses", "The same prompts, answered by the base and the final policy with the same sampling seed.")
            {
                Tables = [new ReportTableData("before and after", ["prompt", "before", "after"], [.. samples.Items.Select(s => (IReadOnlyList<string>)[s.Prompt, Sample(s.Before), Sample(s.After)])])],
            });
        }
        if (content.Results.Count > 0)
        {
            sections.Add(new ReportSectionData("Results by stage", "The results of other stages this stage's options name.")
            {
                Tables = [.. content.Results.Select(r => new ReportTableData($"{r.Key} ({r.Results.Subject})", ["metric", "value"],
                    [.. r.Results.Metrics.Select(m => (IReadOnlyList<string>)[m.Key, ReportContent.Format(m.Value)])]))],
            });
        }
        return new ReportContribution(facts, sections);
    }

    /// <summary>The base-versus-final table as Markdown (the run's headline, printed at the end of <c>alignfx run</c>).</summary>
    public static string HeadlineMarkdown(IReadOnlyList<(string Metric, double Base, double Final)> rows)
    {
        var md = new StringBuilder("| Metric | Base | Final | Change |\n|---|---|---|---|\n");
        foreach (var row in rows)
        {
            md.Append("| ").AppendJoin(" | ", Row(row)).Append(" |\n");
        }
        return md.Append('\n').ToString();
    }

    private static IReadOnlyList<string> Row((string Metric, double Base, double Final) r) =>
        [r.Metric, ReportContent.Format(r.Base), ReportContent.Format(r.Final), ReportContent.FormatChange(r.Base, r.Final)];

    private static void AddCharts(List<ReportSectionData> sections, string title, string? text, IEnumerable<ReportChartData> charts)
    {
        List<ReportChartData> drawn = [.. charts.Where(c => c.Series.Count > 0)];
        if (drawn.Count > 0)
        {
            sections.Add(new ReportSectionData(title, text) { Charts = drawn });
        }
    }

    private static IEnumerable<ReportChartData> VersusKl(ReportContent c)
    {
        bool probe = c.MainSeries(MetricNames.Evaluation.SqrtKl).Count > 0;
        string x = probe ? MetricNames.Evaluation.SqrtKl : MetricNames.SqrtKl;
        string proxy = probe && c.MainSeries(MetricNames.Evaluation.ProxyReward).Count > 0 ? MetricNames.Evaluation.ProxyReward : MetricNames.Proxy.RewardMean;
        string axis = $"sqrt(KL) ({x})";
        yield return Chart("Proxy reward against sqrt(KL)", axis, "proxy reward", Joined(c, proxy, x, proxy));
        yield return Chart("Gold accuracy against sqrt(KL)", axis, "gold accuracy",
            Joined(c, "all items", x, MetricNames.Gold.Accuracy), Joined(c, "checkable", x, MetricNames.Gold.AccuracyCheckable), Joined(c, "uncheckable", x, MetricNames.Gold.AccuracyUncheckable));
    }

    private static IEnumerable<ReportChartData> VersusSteps(ReportContent c)
    {
        yield return Chart("Proxy reward against steps", Step, "proxy reward",
            Steps(c, MetricNames.Proxy.RewardMean), Steps(c, MetricNames.Evaluation.ProxyReward), Steps(c, MetricNames.Objective.RlhfReward));
        yield return Chart("Gold accuracy against steps", Step, "gold accuracy",
            Steps(c, MetricNames.Gold.Accuracy), Steps(c, MetricNames.Gold.AccuracyCheckable), Steps(c, MetricNames.Gold.AccuracyUncheckable));
        yield return Chart("KL coefficient over time", Step, "KL coefficient", Steps(c, MetricNames.Objective.KlCoefficient));
        yield return Chart("KL from the reference", Step, "KL (nats)", Steps(c, MetricNames.Objective.Kl), Steps(c, MetricNames.Evaluation.Kl));
    }

    private static IEnumerable<ReportChartData> LearningCurves(ReportContent c)
    {
        yield return Chart("Reward-model loss", Step, "loss", Steps(c, MetricNames.RewardModel.Loss), Steps(c, MetricNames.RewardModel.ValidationLoss));
        yield return Chart("Reward-model accuracy", Step, "accuracy", Steps(c, MetricNames.RewardModel.Accuracy), Steps(c, MetricNames.RewardModel.ValidationAccuracy));
        yield return Chart("Pretraining loss", Step, "loss", Steps(c, MetricNames.Pretrain.Loss), Steps(c, MetricNames.Pretrain.ValidationLoss));
    }

    private static ReportSectionData Sweep(OveroptimisationResults sweep)
    {
        var bon = sweep.Curves.ToList();
        var charts = new List<ReportChartData>();
        if (bon.Count > 0)
        {
            charts.Add(Chart("Best-of-n: gold against sqrt(KL)", SqrtKlAxis, "gold reward", [.. WithFits(bon)]));
            charts.Add(Chart("Best-of-n: proxy against sqrt(KL)", SqrtKlAxis, "proxy reward", [.. bon.Select(c => Line(c.Label, c.Points.Select(p => (p.SqrtKl, p.Proxy))))]));
        }
        var tables = new List<ReportTableData>
        {
            new("fits", ["curve", "points", "gold(0)", "best gold", "at d", "α", "β", "R²", "d*"], [.. sweep.Curves.Select(c =>
            {
                SweepPoint best = c.Points.Count == 0 ? new SweepPoint(0, double.NaN, double.NaN, double.NaN, double.NaN) : c.Points.MaxBy(p => p.Gold)!;
                return (IReadOnlyList<string>)
                [
                    c.Name, c.Points.Count.ToString(CultureInfo.InvariantCulture), ReportContent.Format(c.GoldAtZero), ReportContent.Format(best.Gold),
                    ReportContent.Format(best.SqrtKl), ReportContent.Format(c.Fit.Alpha), ReportContent.Format(c.Fit.Beta), ReportContent.Format(c.Fit.RSquared), ReportContent.Format(c.Fit.PeakSqrtKl),
                ];
            })]),
        };
        tables.AddRange(bon.Select(c => new ReportTableData(c.Name, ["n", "KL", "d", "gold", "proxy"], [.. c.Points.Select(p => (IReadOnlyList<string>)
        [
            p.Step.ToString(CultureInfo.InvariantCulture), ReportContent.Format(p.Kl), ReportContent.Format(p.SqrtKl), ReportContent.Format(p.Gold), ReportContent.Format(p.Proxy),
        ])])));
        return new ReportSectionData("Overoptimisation sweep",
            "Gold − gold(0) against d = sqrt(KL), fitted as in Gao et al. (2022): best-of-n d(α − βd); d* is the fitted peak. (RL's d(α − β ln d) is fitted over a compare's arms: the compare report's fits.)")
        {
            Tables = tables,
            Charts = [.. charts.Where(c => c.Series.Count > 0)],
        };
    }

    private static IEnumerable<ReportSeriesData> WithFits(List<OveroptimisationCurve> curves)
    {
        foreach (OveroptimisationCurve c in curves)
        {
            if (Line(c.Label, c.Points.Select(p => (p.SqrtKl, p.Gold))) is { } points)
            {
                yield return points;
            }
            double dMax = c.Points.Count == 0 ? 0 : c.Points.Max(p => p.SqrtKl);
            if (dMax > 0 && double.IsFinite(c.Fit.Alpha) && double.IsFinite(c.Fit.Beta))
            {
                yield return Line($"{c.Label} fit (R² {ReportContent.Format(c.Fit.RSquared)})",
                    Enumerable.Range(0, 41).Select(i => dMax * i / 40).Select(d => (d, c.GoldAtZero + Overoptimisation.Predict(c.Fit, d, rl: false))))!;
            }
        }
    }

    private static ReportSeriesData? Steps(ReportContent c, string name) =>
        Line(name, c.MainSeries(name).Select(p => ((double)p.Step, p.Value)));

    private static ReportSeriesData? Joined(ReportContent c, string name, string x, string y) => Line(name, c.Joined(x, y));

    /// <summary>A series of the finite points (JSON has no NaN), or null when none is left.</summary>
    private static ReportSeriesData? Line(string name, IEnumerable<(double X, double Y)> points)
    {
        var finite = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        return finite.Count == 0 ? null : new ReportSeriesData(name, "", [.. finite.Select(p => p.X)], [.. finite.Select(p => p.Y)]);
    }

    private static ReportChartData Chart(string title, string x, string y, params ReportSeriesData?[] series) =>
        new(title, x, y, [.. series.OfType<ReportSeriesData>()]);

    private static string Sample(SampleResponse? response) => response is null
        ? "—"
        : $"{response.Text} ({(response.Correct ? "correct" : "wrong")}{(response.ProxyReward is { } p ? ", proxy " + ReportContent.Format(p) : "")})";
}
