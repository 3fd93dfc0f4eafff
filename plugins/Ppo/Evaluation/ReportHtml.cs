using AlignFx.Evaluation;
using System.Globalization;
using System.Net;
using System.Text;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Ppo.Evaluation;

/// <summary>
/// Writes a report's <c>index.html</c>: one self-contained page (inline CSS and SVG, no script, no network), written
/// as XHTML-compatible markup so it also parses as XML.
/// </summary>
internal static class ReportHtml
{
    private const string Style =
        "body{font-family:system-ui,sans-serif;max-width:1280px;margin:2em auto;padding:0 1em;color:#222}" +
        "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}" +
        "th{background:#f3f3f3}.charts{display:flex;flex-wrap:wrap;gap:12px}.note{color:#555}.bad{color:#b00020;font-weight:bold}";

    /// <summary>The page.</summary>
    public static string Write(ReportContent content)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head><meta charset=\"utf-8\"/>");
        html.Append("<title>").Append(E(content.Title)).Append("</title><style>").Append(Style).Append("</style></head><body>\n");
        html.Append("<h1>").Append(E(content.Title)).Append("</h1>\n");

        html.Append("<h2>Run</h2>\n");
        Table(html, ["Setting", "Value"], content.Settings.Select(s => new[] { s.Name, s.Value }));

        var rows = content.BaseVersusFinal();
        if (rows.Count > 0)
        {
            html.Append("<h2>Base versus final policy (held-out prompts)</h2>\n");
            Table(html, ["Metric", "Base", "Final", "Change"], rows.Select(r => new[]
            {
                r.Metric, ReportContent.Format(r.Base), ReportContent.Format(r.Final), ReportContent.FormatChange(r.Base, r.Final),
            }));
            if (Disclosure.RewardHacking(content) is { } hacking)
            {
                html.Append("<p class=\"").Append(hacking.StartsWith("Reward hacking detected", StringComparison.Ordinal) ? "bad" : "note").Append("\">")
                    .Append(E(hacking)).Append("</p>\n");
            }
        }

        Charts(html, "Optimisation against sqrt(KL)", OptimisationVersusKl(content));
        Charts(html, "Optimisation against steps", OptimisationVersusSteps(content));
        Charts(html, "Reward model and pretraining", LearningCurves(content));
        if (content.Sweep is { Curves.Count: > 0 } sweep)
        {
            html.Append("<h2>Overoptimisation sweep</h2>\n<p class=\"note\">Gold − gold(0) against d = sqrt(KL), fitted as in Gao et al. (2022): best-of-n d(α − βd), RL d(α − β ln d). Dashed: fits.</p>\n");
            Table(html, ["Curve", "Points", "gold(0)", "α", "β", "R²", "d*"], sweep.Curves.Select(c => new[]
            {
                c.Name, c.Points.Count.ToString(CultureInfo.InvariantCulture), ReportContent.Format(c.GoldAtZero), ReportContent.Format(c.Fit.Alpha),
                ReportContent.Format(c.Fit.Beta), ReportContent.Format(c.Fit.RSquared), ReportContent.Format(c.Fit.PeakSqrtKl),
            }));
            Charts(html, null, SweepCharts(sweep));
        }

        if (content.Samples is { Items.Count: > 0 } samples)
        {
            html.Append("<h2>Sample responses (same prompts, before and after)</h2>\n");
            Table(html, ["Prompt", "Before", "After"], samples.Items.Select(s => new[] { s.Prompt, Sample(s.Before), Sample(s.After) }));
        }

        if (content.Results.Count > 0)
        {
            html.Append("<h2>Results by stage</h2>\n");
            foreach (var (key, results) in content.Results)
            {
                html.Append("<h3>").Append(E(key)).Append(" (").Append(E(results.Subject)).Append(")</h3>\n");
                Table(html, ["Metric", "Value"], results.Metrics.Select(m => new[] { m.Key, ReportContent.Format(m.Value) }));
            }
        }

        html.Append("<h2>RLHF disclosure card</h2>\n");
        foreach (var (section, items) in Disclosure.Card(content))
        {
            html.Append("<h3>").Append(E(section)).Append("</h3>\n<ul>");
            foreach (var (item, text) in items)
            {
                html.Append("<li><b>").Append(E(item)).Append(":</b> ").Append(E(text)).Append("</li>");
            }
            html.Append("</ul>\n");
        }
        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static IEnumerable<string> OptimisationVersusKl(ReportContent c)
    {
        string x = c.MainSeries(MetricNames.Evaluation.SqrtKl).Count > 0 ? MetricNames.Evaluation.SqrtKl : MetricNames.SqrtKl;
        string proxy = x == MetricNames.Evaluation.SqrtKl && c.MainSeries(MetricNames.Evaluation.ProxyReward).Count > 0 ? MetricNames.Evaluation.ProxyReward : MetricNames.Proxy.RewardMean;
        yield return SvgChart.Render("Proxy reward against sqrt(KL)", "sqrt(KL) (" + x + ")", "proxy reward", [new(proxy, c.Joined(x, proxy))]);
        yield return SvgChart.Render("Gold accuracy against sqrt(KL)", "sqrt(KL) (" + x + ")", "gold accuracy",
            [new("all items", c.Joined(x, MetricNames.Gold.Accuracy)), new("checkable", c.Joined(x, MetricNames.Gold.AccuracyCheckable)), new("uncheckable", c.Joined(x, MetricNames.Gold.AccuracyUncheckable))]);
    }

    private static IEnumerable<string> OptimisationVersusSteps(ReportContent c)
    {
        yield return SvgChart.Render("Proxy reward against steps", "step", "proxy reward",
            [Series(c, MetricNames.Proxy.RewardMean), Series(c, MetricNames.Evaluation.ProxyReward), Series(c, MetricNames.Objective.RlhfReward)]);
        yield return SvgChart.Render("Gold accuracy against steps", "step", "gold accuracy",
            [Series(c, MetricNames.Gold.Accuracy), Series(c, MetricNames.Gold.AccuracyCheckable), Series(c, MetricNames.Gold.AccuracyUncheckable)]);
        yield return SvgChart.Render("KL coefficient over time", "step", "KL coefficient", [Series(c, MetricNames.Objective.KlCoefficient)]);
        yield return SvgChart.Render("KL from the reference", "step", "KL (nats)", [Series(c, MetricNames.Objective.Kl), Series(c, MetricNames.Evaluation.Kl)]);
    }

    private static IEnumerable<string> LearningCurves(ReportContent c)
    {
        yield return SvgChart.Render("Reward-model loss", "step", "loss", [Series(c, MetricNames.RewardModel.Loss)]);
        yield return SvgChart.Render("Reward-model accuracy", "step", "accuracy",
            [Series(c, MetricNames.RewardModel.Accuracy), Series(c, MetricNames.RewardModel.ValidationAccuracy)]);
        yield return SvgChart.Render("Pretraining loss", "step", "loss", [Series(c, MetricNames.Pretrain.Loss), Series(c, MetricNames.Pretrain.ValidationLoss)]);
    }

    private static IEnumerable<string> SweepCharts(OveroptimisationResults sweep)
    {
        var bon = sweep.Curves.Where(c => c.Method == SweepMethod.BestOfN).ToList();
        var rl = sweep.Curves.Where(c => c.Method == SweepMethod.Rl).ToList();
        if (bon.Count > 0)
        {
            yield return SvgChart.Render("Best-of-n: gold against sqrt(KL)", "d = sqrt(KL)", "gold reward", WithFits(bon, rl: false));
            yield return SvgChart.Render("Best-of-n: proxy against sqrt(KL)", "d = sqrt(KL)", "proxy reward",
                [.. bon.Select(c => new ChartSeries(c.Label, [.. c.Points.Select(p => (p.SqrtKl, p.Proxy))]))]);
        }
        if (rl.Count > 0)
        {
            yield return SvgChart.Render("RL: gold against sqrt(KL)", "d = sqrt(KL)", "gold reward", WithFits(rl, rl: true));
            yield return SvgChart.Render("RL: proxy against sqrt(KL)", "d = sqrt(KL)", "proxy reward",
                [.. rl.Select(c => new ChartSeries(c.Name, [.. c.Points.Select(p => (p.SqrtKl, p.Proxy))]))]);
        }
    }

    private static List<ChartSeries> WithFits(List<OveroptimisationCurve> curves, bool rl)
    {
        var series = new List<ChartSeries>();
        foreach (OveroptimisationCurve c in curves)
        {
            series.Add(new ChartSeries(c.Name, [.. c.Points.Select(p => (p.SqrtKl, p.Gold))]));
            double dMax = c.Points.Count == 0 ? 0 : c.Points.Max(p => p.SqrtKl);
            if (dMax > 0 && double.IsFinite(c.Fit.Alpha))
            {
                series.Add(new ChartSeries($"fit (R² {ReportContent.Format(c.Fit.RSquared)})",
                    [.. Enumerable.Range(0, 41).Select(i => dMax * i / 40).Select(d => (d, c.GoldAtZero + Overoptimisation.Predict(c.Fit, d, rl)))], Dashed: true));
            }
        }
        return series;
    }

    private static ChartSeries Series(ReportContent c, string name) =>
        new(name, [.. c.MainSeries(name).Select(p => ((double)p.Step, p.Value))]);

    private static void Charts(StringBuilder html, string? heading, IEnumerable<string> charts)
    {
        if (heading is not null)
        {
            html.Append("<h2>").Append(E(heading)).Append("</h2>\n");
        }
        html.Append("<div class=\"charts\">\n");
        foreach (string chart in charts)
        {
            html.Append(chart).Append('\n');
        }
        html.Append("</div>\n");
    }

    private static string Sample(SampleResponse? response) => response is null
        ? "—"
        : $"{response.Text} ({(response.Correct ? "correct" : "wrong")}{(response.ProxyReward is { } p ? ", proxy " + ReportContent.Format(p) : "")})";

    private static void Table(StringBuilder html, string[] header, IEnumerable<string[]> rows)
    {
        html.Append("<table><tr>");
        foreach (string h in header)
        {
            html.Append("<th>").Append(E(h)).Append("</th>");
        }
        html.Append("</tr>\n");
        foreach (string[] row in rows)
        {
            html.Append("<tr>");
            foreach (string cell in row)
            {
                html.Append("<td>").Append(E(cell)).Append("</td>");
            }
            html.Append("</tr>\n");
        }
        html.Append("</table>\n");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
