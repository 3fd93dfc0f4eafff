using System.Globalization;
using System.Text.Json.Nodes;
using AlignFx.Evaluation;
using AlignFx.Host.Manifests;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using CompareInfo = AlignFx.Host.Store.CompareInfo;
using AlignFx.Reporting;

namespace AlignFx.Host.Reports;

/// <summary>
/// A compare's report, built from the store alone (the compare's stored manifest and its arms' runs), so that
/// <c>alignfx compare</c> and <c>alignfx report &lt;compare-id&gt;</c> write the same page: per metric every arm's mean
/// with its 95% interval over seeds, each arm's difference to the baseline arm with Welch's t-test (and the paired
/// test), each arm's metric curves over steps with 95% bands, the arms' budgets side by side, and a disclosure card per arm.
/// </summary>
internal static class CompareReports
{
    /// <summary>The report's file name, next to summary.md and summary.csv.</summary>
    public const string FileName = "report.html";

    private const string StepAxis = "step";

    /// <summary>The compare whose id is <paramref name="idOrPrefix"/> or starts with it (only one may), or null.</summary>
    public static CompareInfo? Find(RunStore store, string idOrPrefix)
    {
        var compares = store.ListCompares();
        if (compares.FirstOrDefault(c => c.Id == idOrPrefix) is { } exact)
        {
            return exact;
        }
        var matches = compares.Where(c => c.Id.StartsWith(idOrPrefix, StringComparison.Ordinal)).ToList();
        return matches.Count switch
        {
            0 => null,
            1 => matches[0],
            _ => throw new RunStoreException($"The id prefix '{idOrPrefix}' matches more than one compare ({string.Join(", ", matches.Take(5).Select(c => c.Id))}); give more of the id."),
        };
    }

    /// <summary>The report of <paramref name="compare"/>.</summary>
    public static Report Build(RunStore store, CompareInfo compare)
    {
        JsonObject manifest = JsonNode.Parse(compare.ManifestJson) as JsonObject ?? [];
        var arms = (manifest["arms"] as JsonArray)?.OfType<JsonObject>()
            .Select(a => (Name: a["name"]?.ToString() ?? "", Pipeline: a["pipeline"] as JsonObject)).ToList() ?? [];
        var seeds = (manifest["seeds"] as JsonArray)?.Select(s => s!.GetValue<int>()).ToList() ?? [];
        var report = manifest["report"] as JsonObject;
        var reportMetrics = (report?["metrics"] as JsonArray)?.Select(m => m!.ToString()).ToList() ?? [];
        string baseline = report?["baseline"]?.ToString() is { Length: > 0 } b ? b : arms.FirstOrDefault().Name ?? "";

        // Each arm's runs in seed order; the latest run of an (arm, seed) wins, as in the compare's own summary.
        var stored = store.ListCompareRuns(compare.Id).GroupBy(r => (r.Arm, r.Seed)).ToDictionary(g => g.Key, g => g.Last());
        var runsByArm = arms.ToDictionary(a => a.Name,
            a => seeds.Where(s => stored.ContainsKey((a.Name, s))).Select(s => stored[(a.Name, s)]).ToList());
        var finals = runsByArm.Values.SelectMany(r => r).ToDictionary(r => r.Id, r => StoreReads.FinalValues(store, r.Id));
        IReadOnlyList<string> metrics = reportMetrics.Count > 0
            ? reportMetrics
            : [.. finals.Values.SelectMany(f => f.Keys).Distinct().Order(StringComparer.Ordinal)];

        var cells = new List<CompareCell>();
        foreach (var (arm, _) in arms)
        {
            foreach (string metric in metrics)
            {
                double[] values = [.. runsByArm[arm].Select(r => finals[r.Id].GetValueOrDefault(metric, double.NaN))];
                cells.Add(new CompareCell(arm, metric, values, MeanWithInterval.Of(values)));
            }
        }
        IReadOnlyList<CompareDifference> differences = CompareRunner.Differences(baseline, cells);

        var facts = new List<ReportFact>
        {
            new("Compare", compare.Id),
            new("Status", compare.Status.ToText()),
            new("Arms", string.Join(", ", arms.Select(a => a.Name))),
            new("Baseline arm", baseline),
            new("Seeds", string.Join(", ", seeds.Select(s => s.ToString(CultureInfo.InvariantCulture)))),
            new("Runs", string.Join("; ", arms.Select(a => $"{a.Name}: {string.Join(", ", runsByArm[a.Name].Select(r => $"{r.Id} ({r.Status.ToText()})"))}"))),
            new("Matched budgets", Budgets(manifest)),
            new("Manifest SHA-256", compare.ManifestSha256),
        };
        List<ReportSection> sections =
        [
            Summary(arms.Select(a => a.Name).ToList(), metrics, cells),
            Differences(baseline, differences),
            Curves(store, arms.Select(a => a.Name).ToList(), runsByArm, metrics),
            .. Against(store, arms.Select(a => a.Name).ToList(), runsByArm, report?["curves"] as JsonObject),
            .. Fits(store, runsByArm, report?["fits"] as JsonArray),
            BudgetSection(store, arms.Select(a => a.Name).ToList(), runsByArm),
        ];
        var cards = arms.Select(a => DisclosureCards.Card($"Arm {a.Name}", a.Pipeline, store, [.. runsByArm[a.Name].Select(r => r.Id)])).ToList();
        return new Report($"Compare: {compare.Name}", ReportKinds.Compare, compare.Id, manifest["description"]?.ToString(), facts, sections, cards);
    }

    private static string Budgets(JsonObject manifest) =>
        manifest["budgets"] is JsonObject { Count: > 0 } budgets
            ? string.Join(", ", budgets.Select(b => b.Value is JsonValue v && v.TryGetValue(out double amount)
                ? $"{b.Key} = {StoreReads.Count(amount)}" : $"{b.Key}: equal across arms")) + "; checked when the manifest was validated"
            : "none named";

    private static ReportSection Summary(List<string> arms, IReadOnlyList<string> metrics, List<CompareCell> cells)
    {
        var rows = metrics.Select(m => (IReadOnlyList<string>)[m, .. arms.Select(a => Interval(cells.First(c => c.Arm == a && c.Metric == m).Summary))]).ToList();
        var missing = CompareRunner.MetricsNoArmLogged(cells);
        return new ReportSection("Final values",
            "Each run's final value of the metric (the last point of the last stage that logged it); mean over seeds with its 95% confidence interval (Student's t)."
            + (missing.Count > 0 ? $" Not logged by any arm: {string.Join(", ", missing)} (a misspelt metric name in report, or a stage that did not run)." : ""))
        {
            Tables = [new ReportTable(null, ["metric", .. arms], rows)],
        };
    }

    private static string Interval(MeanWithInterval m) =>
        m.Count == 0 ? "n/a"
        : double.IsNaN(m.HalfWidth) ? $"{StoreReads.Format(m.Mean)} (n = 1)"
        : $"{StoreReads.Format(m.Mean)} [{StoreReads.Format(m.Low)}, {StoreReads.Format(m.High)}] (n = {m.Count})";

    private static ReportSection Differences(string baseline, IReadOnlyList<CompareDifference> differences)
    {
        var rows = differences.Select(d => (IReadOnlyList<string>)
        [
            d.Metric, d.Arm, StoreReads.Format(d.Welch.Difference), StoreReads.Format(d.Welch.T), StoreReads.Format(d.Welch.DegreesOfFreedom),
            StoreReads.FormatP(d.Welch.PValue), StoreReads.FormatP(d.Paired.PValue),
        ]).ToList();
        return new ReportSection($"Difference to the baseline arm {baseline}",
            "Arm − baseline, mean over seeds. Welch's two-sided t-test treats the seeds of the two arms as independent samples; the paired t-test pairs seed i of both arms (they share their seed streams).")
        {
            Tables = rows.Count == 0 ? [] : [new ReportTable(null, ["metric", "arm", "difference", "Welch t", "Welch df", "Welch p", "paired p"], rows)],
        };
    }

    private static ReportSection Curves(RunStore store, List<string> arms, Dictionary<string, List<RunInfo>> runsByArm, IReadOnlyList<string> metrics)
    {
        var charts = new List<ReportChart>();
        foreach (string metric in metrics)
        {
            var series = arms.Select(arm => new ChartSeries(arm, Band(runsByArm[arm].Select(r => StoreReads.LastSeries(store, r.Id, metric)).OfType<MetricSeries>().ToList())))
                .Where(s => s.Points.Count > 0).ToList();
            if (series.Count > 0)
            {
                charts.Add(new ReportChart(metric, StepAxis, metric, series));
            }
        }
        return new ReportSection("Curves over steps",
            "Each arm's metric over the steps of the stage that logged its final value: the mean over seeds at every step all its seeds logged, with the 95% interval as a band (a metric logged once is a point with its interval).")
        {
            Charts = charts,
        };
    }

    /// <summary>
    /// <c>report.curves</c>: each y metric against the x metric the same stage logged at the same steps (gold and proxy
    /// against sqrt(KL)), one line per arm; empty when the manifest asks for none.
    /// </summary>
    private static List<ReportSection> Against(RunStore store, List<string> arms, Dictionary<string, List<RunInfo>> runsByArm, JsonObject? curves)
    {
        if (curves?["x"]?.ToString() is not { Length: > 0 } x || curves["y"] is not JsonArray ys)
        {
            return [];
        }
        var charts = new List<ReportChart>();
        foreach (string y in ys.Select(n => n!.ToString()))
        {
            var series = arms.Select(arm => new ChartSeries(arm, AgainstBand([.. runsByArm[arm].Select(r => Paired(store, r.Id, x, y)).OfType<PairedSeries>()])))
                .Where(s => s.Points.Count > 0).ToList();
            if (series.Count > 0)
            {
                charts.Add(new ReportChart($"{y} against {x}", x, y, series));
            }
        }
        return
        [
            new ReportSection($"Curves against {x}",
                $"Each arm's metric against {x}, both as logged by the same stage at the same steps: at every step all its seeds logged, the mean of {x} over seeds and the metric's mean with its 95% interval as a band.")
            {
                Charts = charts,
            },
        ];
    }

    /// <summary>
    /// <c>report.fits</c>: the Gao et al. (2022) form fitted to each named arm's gold metric against d = sqrt(KL), over
    /// the arm's seeds pooled, with each seed's own R²; one chart per fit with the arms' mean curves and fitted lines.
    /// </summary>
    private static List<ReportSection> Fits(RunStore store, Dictionary<string, List<RunInfo>> runsByArm, JsonArray? fits)
    {
        if (fits is null || fits.Count == 0)
        {
            return [];
        }
        var rows = new List<IReadOnlyList<string>>();
        var charts = new List<ReportChart>();
        foreach (JsonObject fit in fits.OfType<JsonObject>())
        {
            string form = fit["form"]?.ToString() ?? "", x = fit["x"]?.ToString() ?? "", y = fit["y"]?.ToString() ?? "";
            GaoForm gao = form == CompareFitForms.BestOfN ? GaoForm.BestOfN : GaoForm.Rl;
            var series = new List<ChartSeries>();
            foreach (string arm in (fit["arms"] as JsonArray ?? []).Select(a => a!.ToString()).Where(runsByArm.ContainsKey))
            {
                var paired = runsByArm[arm].Select(r => Paired(store, r.Id, x, y)).OfType<PairedSeries>().ToList();
                ArmGoldFit result = GaoFits.Fit(gao, [.. paired.Select(Curve)]);
                MeanWithInterval perRun = MeanWithInterval.Of(result.PerRun.Select(f => f.RSquared).Where(double.IsFinite));
                rows.Add(
                [
                    form, arm, StoreReads.Count(result.PerRun.Count) + (result.RunsWithoutZero > 0 ? $" ({result.RunsWithoutZero} without d = 0, left out)" : ""),
                    StoreReads.Count(result.Pooled.Points), StoreReads.Format(result.GoldAtZero), StoreReads.Format(result.Pooled.Alpha),
                    StoreReads.Format(result.Pooled.Beta), StoreReads.Format(result.Pooled.RSquared), Interval(perRun), StoreReads.Format(result.Pooled.PeakSqrtKl),
                ]);
                var mean = AgainstBand(paired);
                if (mean.Count == 0)
                {
                    continue;
                }
                series.Add(new ChartSeries(arm, mean));
                double dMax = mean.Max(p => p.X);
                if (dMax > 0 && double.IsFinite(result.Pooled.Alpha) && double.IsFinite(result.Pooled.Beta))
                {
                    series.Add(new ChartSeries($"{arm} fit (R² {StoreReads.Format(result.Pooled.RSquared)})", [.. Enumerable.Range(0, 41)
                        .Select(i => dMax * i / 40).Select(d => new ChartPoint(d, result.GoldAtZero + Overoptimisation.Predict(result.Pooled, d, gao == GaoForm.Rl)))]));
                }
            }
            if (series.Count > 0)
            {
                charts.Add(new ReportChart($"{y} against {x}: {form} fit", x, y, series));
            }
        }
        return
        [
            new ReportSection("Overoptimisation fits (Gao et al. 2022)",
                "Each arm's gold metric against d = sqrt(KL), as the same stage logged both at the same steps. A run's gain is measured from its own value at d = 0; "
                + "the form (best-of-n Δgold = d(α − βd), peak d* = α/(2β); RL Δgold = d(α − β ln d), peak d* = exp(α/β − 1)) is fitted by least squares without "
                + "intercept to every seed's points with d > 0 together; R² per run is each seed's own fit, mean with its 95% interval. The chart shows each arm's mean curve and its fitted line.")
            {
                Tables = [new ReportTable(null, ["form", "arm", "runs", "points", "gold(0)", "α", "β", "R²", "R² per run", "d*"], rows)],
                Charts = charts,
            },
        ];
    }

    /// <summary>A run's (d, gold) points at the steps both series logged, in step order.</summary>
    private static GoldCurve Curve(PairedSeries run)
    {
        var x = run.X.Steps.Zip(run.X.Values).GroupBy(p => p.First).ToDictionary(g => g.Key, g => g.Last().Second);
        var points = run.Y.Steps.Zip(run.Y.Values).GroupBy(p => p.First).Where(g => x.ContainsKey(g.Key)).OrderBy(g => g.Key)
            .Select(g => (D: x[g.Key], Gold: g.Last().Second)).ToList();
        return new GoldCurve([.. points.Select(p => p.D)], [.. points.Select(p => p.Gold)]);
    }

    /// <summary>The x and y series one stage of a run logged (the last stage that logged y); null when that stage did not log x.</summary>
    private static PairedSeries? Paired(RunStore store, string runId, string x, string y) =>
        StoreReads.LastSeries(store, runId, y) is { } ys
        && store.GetMetrics(runId).FirstOrDefault(s => s.Name == x && s.StageIndex == ys.StageIndex && s.Values.Count > 0) is { } xs
            ? new PairedSeries(xs, ys)
            : null;

    /// <summary>Two series one stage logged: the x metric's and the y metric's.</summary>
    internal sealed record PairedSeries(MetricSeries X, MetricSeries Y);

    /// <summary>At each step every run logged both metrics: the mean x over runs, and the mean y with its 95% interval.</summary>
    internal static IReadOnlyList<ChartPoint> AgainstBand(IReadOnlyList<PairedSeries> runs)
    {
        if (runs.Count == 0)
        {
            return [];
        }
        static Dictionary<long, double> ByStep(MetricSeries s) => s.Steps.Zip(s.Values).GroupBy(p => p.First).ToDictionary(g => g.Key, g => g.Last().Second);
        var xs = runs.Select(r => ByStep(r.X)).ToList();
        var ys = runs.Select(r => ByStep(r.Y)).ToList();
        var steps = new HashSet<long>(xs[0].Keys);
        foreach (var d in xs.Concat(ys))
        {
            steps.IntersectWith(d.Keys);
        }
        return [.. steps.Order().Select(step =>
        {
            MeanWithInterval m = MeanWithInterval.Of(ys.Select(d => d[step]));
            return new ChartPoint(xs.Average(d => d[step]), m.Mean, m.Low, m.High);
        })];
    }

    /// <summary>The mean and 95% interval over runs at each step every run logged.</summary>
    internal static IReadOnlyList<ChartPoint> Band(IReadOnlyList<MetricSeries> runs)
    {
        if (runs.Count == 0)
        {
            return [];
        }
        var byStep = runs.Select(s => s.Steps.Zip(s.Values).GroupBy(p => p.First).ToDictionary(g => g.Key, g => g.Last().Second)).ToList();
        var steps = byStep.Skip(1).Aggregate(new HashSet<long>(byStep[0].Keys), (common, next) => { common.IntersectWith(next.Keys); return common; });
        return [.. steps.Order().Select(step =>
        {
            MeanWithInterval m = MeanWithInterval.Of(byStep.Select(d => d[step]));
            return new ChartPoint(step, m.Mean, m.Low, m.High);
        })];
    }

    private static ReportSection BudgetSection(RunStore store, List<string> arms, Dictionary<string, List<RunInfo>> runsByArm)
    {
        var budgets = arms.ToDictionary(a => a, a => runsByArm[a].Select(r => RunBudget.Of(store, r.Id)).ToList());
        var rows = RunBudget.Rows.Select(row => (IReadOnlyList<string>)
            [row.Row, .. arms.Select(a => budgets[a].Count == 0 ? "n/a" : StoreReads.Count(budgets[a].Average(row.Value)))]).ToList();
        return new ReportSection("Budgets",
            "What each arm spent per run (mean over its seeds), as the store records it. Optimisation steps are not recorded by the store; the matched budgets above were checked from the manifest. "
            + "Wall time counts only the stages a run ran itself: a stage restored from the stage cache (a base policy shared by the arms) counts in the arm that ran it first, and runs that went side by side (--jobs) shared the machine.")
        {
            Tables = [new ReportTable(null, ["per run", .. arms], rows)],
        };
    }
}
