using AlignFx.Evaluation;
using System.Text;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Ppo.Evaluation;

/// <summary>Writes a report's <c>summary.md</c>: deterministic text (no dates, no absolute paths) so it can be golden-tested.</summary>
internal static class ReportMarkdown
{
    /// <summary>The series summarised in the "Metric series" table, when logged.</summary>
    public static readonly string[] SummarisedSeries =
    [
        MetricNames.Pretrain.Loss, MetricNames.RewardModel.Loss, MetricNames.RewardModel.ValidationAccuracy,
        MetricNames.Proxy.RewardMean, MetricNames.Objective.Scores, MetricNames.Objective.Kl, MetricNames.SqrtKl, MetricNames.Objective.KlCoefficient,
        MetricNames.Objective.Entropy, MetricNames.Evaluation.ProxyReward, MetricNames.Evaluation.SqrtKl, MetricNames.Gold.Accuracy, MetricNames.Gold.AccuracyUncheckable, MetricNames.Gold.RewardMean,
    ];

    /// <summary>The summary's Markdown.</summary>
    public static string Write(ReportContent content)
    {
        var md = new StringBuilder();
        md.Append("# ").Append(EscapeInline(content.Title)).Append("\n\n");

        md.Append("## Run\n\n");
        Table(md, ["Setting", "Value"], content.Settings.Select(s => new[] { s.Name, s.Value }));

        var rows = content.BaseVersusFinal();
        if (rows.Count > 0)
        {
            md.Append("## Base versus final policy (held-out prompts)\n\n");
            md.Append(BaseVersusFinalTable(rows));
            if (Disclosure.RewardHacking(content) is { } hacking)
            {
                md.Append(hacking).Append("\n\n");
            }
        }

        if (content.Results.Count > 0)
        {
            md.Append("## Results by stage\n\n");
            foreach (var (key, results) in content.Results)
            {
                md.Append("### ").Append(key).Append(" (").Append(results.Subject).Append(")\n\n");
                Table(md, ["Metric", "Value"], results.Metrics.Select(m => new[] { m.Key, ReportContent.Format(m.Value) }));
            }
        }

        var series = SummarisedSeries.Select(n => (Name: n, Points: content.MainSeries(n))).Where(s => s.Points.Count > 0).ToList();
        if (series.Count > 0)
        {
            md.Append("## Metric series\n\n");
            Table(md, ["Series", "Points", "First", "Last", "Min", "Max"], series.Select(s => new[]
            {
                s.Name, s.Points.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), ReportContent.Format(s.Points[0].Value),
                ReportContent.Format(s.Points[^1].Value), ReportContent.Format(s.Points.Min(p => p.Value)), ReportContent.Format(s.Points.Max(p => p.Value)),
            }));
        }

        if (content.Sweep is { Curves.Count: > 0 } sweep)
        {
            md.Append("## Overoptimisation sweep\n\n");
            md.Append("Fits of gold − gold(0) against d = sqrt(KL) (Gao et al. 2022): best-of-n d(α − βd), RL d(α − β ln d); d* is the fitted peak.\n\n");
            Table(md, ["Curve", "Points", "gold(0)", "Best gold", "at d", "α", "β", "R²", "d*"], sweep.Curves.Select(c =>
            {
                SweepPoint best = c.Points.Count == 0 ? new SweepPoint(0, double.NaN, double.NaN, double.NaN, double.NaN) : c.Points.MaxBy(p => p.Gold)!;
                return new[]
                {
                    c.Name, c.Points.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), ReportContent.Format(c.GoldAtZero), ReportContent.Format(best.Gold),
                    ReportContent.Format(best.SqrtKl), ReportContent.Format(c.Fit.Alpha), ReportContent.Format(c.Fit.Beta), ReportContent.Format(c.Fit.RSquared), ReportContent.Format(c.Fit.PeakSqrtKl),
                };
            }));
            foreach (OveroptimisationCurve curve in sweep.Curves.Where(c => c.Method == SweepMethod.BestOfN))
            {
                md.Append("### ").Append(curve.Name).Append("\n\n");
                Table(md, ["n", "KL", "d", "Gold", "Proxy"], curve.Points.Select(p => new[]
                {
                    p.Step.ToString(System.Globalization.CultureInfo.InvariantCulture), ReportContent.Format(p.Kl), ReportContent.Format(p.SqrtKl), ReportContent.Format(p.Gold), ReportContent.Format(p.Proxy),
                }));
            }
        }

        if (content.Samples is { Items.Count: > 0 } samples)
        {
            md.Append("## Sample responses (same prompts, before and after)\n\n");
            Table(md, ["Prompt", "Before", "After"], samples.Items.Select(s => new[] { Cell(s.Prompt), Sample(s.Before), Sample(s.After) }));
        }

        md.Append("## RLHF disclosure card\n\n");
        foreach (var (section, items) in Disclosure.Card(content))
        {
            md.Append("### ").Append(section).Append("\n\n");
            foreach (var (item, text) in items)
            {
                md.Append("- **").Append(item).Append(":** ").Append(text).Append('\n');
            }
            md.Append('\n');
        }
        return md.ToString();
    }

    /// <summary>The base-versus-final table alone (also logged by the report stage).</summary>
    public static string BaseVersusFinalTable(IReadOnlyList<(string Metric, double Base, double Final)> rows)
    {
        var md = new StringBuilder();
        Table(md, ["Metric", "Base", "Final", "Change"], rows.Select(r => new[]
        {
            r.Metric, ReportContent.Format(r.Base), ReportContent.Format(r.Final), ReportContent.FormatChange(r.Base, r.Final),
        }));
        return md.ToString();
    }

    private static string Sample(SampleResponse? response) => response is null
        ? "—"
        : $"{Cell(response.Text)} ({(response.Correct ? "correct" : "wrong")}{(response.ProxyReward is { } p ? ", proxy " + ReportContent.Format(p) : "")})";

    /// <summary>Text safe inside a table cell: one line, pipes escaped, long texts cut.</summary>
    private static string Cell(string text)
    {
        string flat = text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal).Trim();
        return flat.Length == 0 ? "(empty)" : flat.Length > 120 ? flat[..117] + "..." : flat;
    }

    /// <summary>
    /// Text from a manifest (the title) shown as written inside a Markdown line: what would start emphasis, links,
    /// code, tables or raw HTML is escaped and line breaks become spaces.
    /// </summary>
    internal static string EscapeInline(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            _ = c switch
            {
                '&' => sb.Append("&amp;"),
                '<' => sb.Append("&lt;"),
                '>' => sb.Append("&gt;"),
                '\r' or '\n' => sb.Append(' '),
                '\\' or '`' or '*' or '_' or '[' or ']' or '|' or '#' or '!' or '~' => sb.Append('\\').Append(c),
                _ when char.IsControl(c) => sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:X4}"),
                _ => sb.Append(c),
            };
        }
        return sb.ToString();
    }

    private static void Table(StringBuilder md, string[] header, IEnumerable<string[]> rows)
    {
        md.Append("| ").AppendJoin(" | ", header).Append(" |\n");
        md.Append('|').AppendJoin("|", header.Select(_ => "---")).Append("|\n");
        foreach (string[] row in rows)
        {
            md.Append("| ").AppendJoin(" | ", row).Append(" |\n");
        }
        md.Append('\n');
    }
}
