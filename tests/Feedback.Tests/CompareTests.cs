using System.Globalization;
using AlignFx.Abstractions.Plugins;
using AlignFx.Evaluation;
using AlignFx.Host.Manifests;
using AlignFx.Host.Plugins;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Feedback.Tests;

/// <summary>A compare of two label sources over seeds: intervals per arm and a tested difference to the baseline arm.</summary>
public sealed class CompareTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-compare-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private const string Manifest = """
        {
          "name": "flawed-vs-gold",
          "seeds": [1, 2, 3],
          "base": {
            "name": "labels", "task": { "name": "arithmetic", "options": { "trainPrompts": 300 } }, "policy": "scripted",
            "stages": [ { "stage": "collect-feedback", "labels": 200,
                          "source": { "name": "simulated-human", "options": { "verificationLimit": 1, "confidenceBias": 1 } } } ],
          },
          "arms": [
            { "name": "flawed", "overrides": {} },
            { "name": "oracle", "overrides": { "stages": [ { "stage": "collect-feedback", "labels": 200, "source": "gold" } ] } },
          ],
          "budgets": { "labels": 200 },
          "report": { "metrics": ["feedback/gold_agreement"], "baseline": "flawed" },
        }
        """;

    /// <summary>Two-sided p of Student's t with 2 degrees of freedom, in closed form: 1 − |t| / √(2 + t²).</summary>
    private static double TwoSidedP2(double t) => 1 - (Math.Abs(t) / Math.Sqrt(2 + (t * t)));

    [Fact]
    public async Task Arms_that_differ_only_in_the_label_source_get_intervals_and_a_paired_test_against_the_baseline()
    {
        IComponentCatalog catalog = new TestCatalog(BuiltPlugins.Load("Tasks", "Feedback"), TestCatalog.ScriptedPolicy);
        string path = Path.Combine(_dir, "compare.json");
        File.WriteAllText(path, Manifest);
        ManifestResult<CompareManifest> manifest = ManifestLoader.LoadCompare(path, catalog);
        Assert.True(manifest.IsValid, manifest.FormatErrors());
        Assert.Equal("flawed", manifest.Value!.Baseline);
        using RunStore store = RunStore.Open(Path.Combine(_dir, "runs", "alignfx.db"));
        var runner = new CompareRunner(new PipelineRunner(catalog, store, NullLoggerFactory.Instance, TextWriter.Null), store);

        CompareOutcome outcome = await runner.RunAsync(manifest.Value, TestContext.Current.CancellationToken);

        Assert.Equal(RunStatus.Completed, outcome.Status);
        CompareCell flawed = outcome.Cells.Single(c => c.Arm == "flawed"), oracle = outcome.Cells.Single(c => c.Arm == "oracle");
        Assert.Equal([1.0, 1.0, 1.0], oracle.Values);
        Assert.All(flawed.Values, v => Assert.InRange(v, 0.5, 0.95));
        Assert.True(flawed.Summary.HalfWidth > 0);

        // The paired test, recomputed here from the per-seed values.
        double[] d = [.. oracle.Values.Zip(flawed.Values, (o, f) => o - f)];
        double mean = d.Average(), sd = Math.Sqrt(d.Sum(x => (x - mean) * (x - mean)) / 2), t = mean / (sd / Math.Sqrt(3));
        CompareDifference difference = Assert.Single(outcome.Differences);
        Assert.Equal(("oracle", "flawed", "feedback/gold_agreement"), (difference.Arm, difference.Baseline, difference.Metric));
        Assert.Equal(mean, difference.Paired.Difference, 12);
        Assert.Equal(TwoSidedP2(t), difference.Paired.PValue, 9);
        Assert.True(difference.Paired.PValue < 0.05, $"p {difference.Paired.PValue}");

        string markdown = File.ReadAllText(Path.Combine(outcome.Folder, "summary.md"));
        Assert.Contains("Difference to the baseline arm 'flawed'", markdown, StringComparison.Ordinal);
        string p = TwoSidedP2(t).ToString(TwoSidedP2(t) < 0.001 ? "0.0e0" : "0.000", CultureInfo.InvariantCulture);
        Assert.Contains($" | +{MeanWithInterval.Format(mean)} (p {p}) |", markdown, StringComparison.Ordinal);
        string[] row = File.ReadAllLines(Path.Combine(outcome.Folder, "differences.csv"))[1].Split(',');
        Assert.Equal(TwoSidedP2(t), double.Parse(row[6], CultureInfo.InvariantCulture), 9);
    }

    [Fact]
    public void A_baseline_that_names_no_arm_is_refused_at_its_path()
    {
        IComponentCatalog catalog = new TestCatalog(BuiltPlugins.Load("Tasks", "Feedback"), TestCatalog.ScriptedPolicy);
        string path = Path.Combine(_dir, "compare.json");
        File.WriteAllText(path, Manifest.Replace("\"baseline\": \"flawed\"", "\"baseline\": \"flawd\"", StringComparison.Ordinal));

        ManifestError error = Assert.Single(ManifestLoader.LoadCompare(path, catalog).Errors);

        Assert.Equal("$.report.baseline", error.Path);
        Assert.Equal("unknown arm 'flawd'; the arms are: flawed, oracle", error.Message);
    }
}
