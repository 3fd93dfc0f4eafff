using System.Globalization;
using System.Text.RegularExpressions;
using AlignFx.Host.Cli;
using AlignFx.Host.Store;
using MathNet.Numerics.Distributions;

namespace AlignFx.Reporting.Tests;

/// <summary>`alignfx compare` writes report.html; `alignfx report` rebuilds it from the store.</summary>
public sealed class CompareReportTests : IDisposable
{
    private readonly ReportWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    private (string CompareId, string Html) RunCompare()
    {
        var (code, output, error) = _workspace.Cli("compare", _workspace.Manifest("compare.json", ReportWorkspace.WalkCompare));
        Assert.True(code == ExitCodes.Ok, error);
        using RunStore store = RunStore.Open(_workspace.StorePath);
        string id = Assert.Single(store.ListCompares()).Id;
        string path = Path.Combine(store.RunsDirectory, "compares", id, "report.html");
        Assert.Contains(path, output, StringComparison.Ordinal);
        return (id, File.ReadAllText(path));
    }

    private double[] Finals(string arm, string metric)
    {
        using RunStore store = RunStore.Open(_workspace.StorePath);
        return [.. store.ListRuns().Where(r => r.Arm == arm).OrderBy(r => r.Seed).Select(r => store.GetMetricSeries(r.Id, metric)[^1].Value)];
    }

    private static string G4(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    [Fact]
    public void The_compare_report_gives_every_arms_mean_and_95_percent_interval_computed_from_the_stored_finals()
    {
        var (_, html) = RunCompare();

        foreach (string arm in new[] { "short", "split" })
        {
            double[] x = Finals(arm, "walk/position");
            double mean = x.Average();
            double sd = Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1));
            double half = StudentT.InvCDF(0, 1, x.Length - 1, 0.975) * sd / Math.Sqrt(x.Length);
            Assert.Contains($"{G4(mean)} [{G4(mean - half)}, {G4(mean + half)}] (n = 3)", html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_difference_to_the_named_baseline_carries_welchs_p_value_computed_independently()
    {
        var (_, html) = RunCompare();
        double[] a = Finals("split", "walk/position"), b = Finals("short", "walk/position");

        // Welch's t-test by hand: the Welch–Satterthwaite degrees of freedom, a two-sided p from Student's t.
        static (double Mean, double Var) Moments(double[] v) => (v.Average(), v.Sum(x => (x - v.Average()) * (x - v.Average())) / (v.Length - 1));
        var (ma, va) = Moments(a);
        var (mb, vb) = Moments(b);
        double se2 = (va / a.Length) + (vb / b.Length);
        double t = (ma - mb) / Math.Sqrt(se2);
        double df = se2 * se2 / ((va * va / (a.Length * a.Length * (a.Length - 1))) + (vb * vb / (b.Length * b.Length * (b.Length - 1))));
        double p = 2 * StudentT.CDF(0, 1, df, -Math.Abs(t));
        string pText = p.ToString(p < 0.001 ? "0.0e0" : "0.000", CultureInfo.InvariantCulture);

        Assert.Contains("Difference to the baseline arm short", html, StringComparison.Ordinal);
        Assert.Contains($"<td>walk/position</td><td>split</td><td>{G4(ma - mb)}</td><td>{G4(t)}</td><td>{G4(df)}</td><td>{pText}</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_reported_metric_is_plotted_with_a_line_and_an_interval_band_per_arm()
    {
        var (_, html) = RunCompare();

        foreach (string metric in new[] { "walk/position", "gold/accuracy" })
        {
            Match chart = Regex.Match(html, $"<svg class=\"chart\"[^>]*aria-label=\"{Regex.Escape(metric)}\">(.*?)</svg>", RegexOptions.Singleline);
            Assert.True(chart.Success, $"no chart for {metric}");
            Assert.Equal(2, Regex.Count(chart.Groups[1].Value, "<polyline class=\"line\""));
            Assert.Contains("data-series=\"short\"", chart.Groups[1].Value, StringComparison.Ordinal);
            Assert.Contains("data-series=\"split\"", chart.Groups[1].Value, StringComparison.Ordinal);
        }
        // walk/position differs between seeds, so its bands have width.
        Match walk = Regex.Match(html, "aria-label=\"walk/position\">(.*?)</svg>", RegexOptions.Singleline);
        Assert.Equal(2, Regex.Count(walk.Groups[1].Value, "<polygon class=\"band\""));
    }

    [Fact]
    public void The_budgets_of_the_arms_stand_side_by_side_with_the_matched_budget_named()
    {
        var (_, html) = RunCompare();

        Assert.Contains("<thead><tr><th>per run</th><th>short</th><th>split</th></tr></thead>", html, StringComparison.Ordinal);
        Assert.Contains("<td>stages completed</td><td>1</td><td>2</td>", html, StringComparison.Ordinal);
        // 10 steps × 2 series in both arms.
        Assert.Contains("<td>metric points logged (steps logged, all series)</td><td>20</td><td>20</td>", html, StringComparison.Ordinal);
        Assert.Contains("optimizationSteps: equal across arms", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Alignfx_report_rebuilds_the_compare_report_it_wrote_byte_for_byte()
    {
        var (id, html) = RunCompare();
        string rebuilt = Path.Combine(_workspace.Folder, "rebuilt.html");

        var (code, _, error) = _workspace.Cli("report", id[..12], "--output", rebuilt);

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Equal(html, File.ReadAllText(rebuilt));
        Golden.Check("compare-report.html", ReportWorkspace.WithoutIds(html));
    }

    [Fact]
    public void Alignfx_report_rebuilds_the_run_report_it_wrote_byte_for_byte()
    {
        var (code, output, error) = _workspace.Cli("run", _workspace.Manifest("run.json", ReportWorkspace.WalkRun));
        Assert.True(code == ExitCodes.Ok, error);
        using RunStore store = RunStore.Open(_workspace.StorePath);
        string id = Assert.Single(store.ListRuns()).Id;
        string written = Path.Combine(store.GetRunFolder(id), "report.html");
        Assert.Contains(written, output, StringComparison.Ordinal);
        string html = File.ReadAllText(written);
        File.Delete(written);

        var (again, _, againError) = _workspace.Cli("report", id);

        Assert.True(again == ExitCodes.Ok, againError);
        Assert.Equal(html, File.ReadAllText(written));
        Assert.Contains("<h2>Stage again (random-walk)</h2>", html, StringComparison.Ordinal);
        Golden.Check("run-report.html", ReportWorkspace.WithoutIds(html));
    }

    [Fact]
    public void An_id_that_names_no_run_or_compare_is_refused_with_exit_code_2()
    {
        RunCompare();

        var (code, _, error) = _workspace.Cli("report", "19990101-000000-zzzzzz");

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("No run or compare has the id '19990101-000000-zzzzzz'", error, StringComparison.Ordinal);
    }
}
