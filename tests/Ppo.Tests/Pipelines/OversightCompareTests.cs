using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.Evaluation;
using AlignFx.Host.Manifests;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using MathNet.Numerics.Distributions;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Ppo.Tests.Pipelines;

/// <summary>
/// examples/oversight-compare.json, the headline comparison, at a small size (a tiny GPT, 2 seeds, 200 labels, 4 PPO
/// steps): every arm runs end to end at matched budgets, the arms share the pretrained base, and the report's intervals
/// and tests are the ones an independent calculation gets from the store.
/// </summary>
public sealed class OversightCompareTests(ITestOutputHelper output) : IDisposable
{
    private const int Labels = 200;
    private const int PpoSteps = 4;
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-oversight-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Every_arm_runs_at_matched_budgets_on_one_shared_base_and_the_report_has_the_independently_computed_intervals()
    {
        IComponentCatalog catalog = BuiltPlugins.Load("Tasks", "Feedback", "LanguageModels", "RewardModels", "Ppo", "Critics", "Debate", "ConstitutionalCritique");
        string path = Path.Combine(_dir, "oversight-compare.json");
        File.WriteAllText(path, Smaller(ExampleRun.Load("oversight-compare.json")).ToJsonString());
        ManifestResult<CompareManifest> manifest = ManifestLoader.LoadCompare(path, catalog);
        Assert.True(manifest.IsValid, manifest.FormatErrors());
        using RunStore store = RunStore.Open(Path.Combine(_dir, "runs", "alignfx.db"));
        var runner = new PipelineRunner(catalog, store, NullLoggerFactory.Instance, TextWriter.Null);

        CompareOutcome outcome = await new CompareRunner(runner, store).RunAsync(manifest.Value!, TestContext.Current.CancellationToken);

        Assert.True(outcome.Status == RunStatus.Completed, string.Join("; ", outcome.Runs.Select(r => r.Error).OfType<string>()));
        string[] arms = ["rlhf", "rlhf-assisted", "rlhf-debate", "rlaif", "sl-cai+rlaif", "rlhf-gold"];
        Assert.Equal(arms, manifest.Value!.Arms.Select(a => a.Name));
        var runs = store.ListCompareRuns(outcome.CompareId);
        Assert.Equal(arms.Length * 2, runs.Count);

        // Matched budgets, read back from the store: the same labels and PPO steps in every run.
        foreach (var run in runs)
        {
            Assert.Equal(Labels, store.GetMetricSeries(run.Id, MetricNames.Feedback.Labels)[^1].Value);
            Assert.Equal(PpoSteps, store.GetMetricSeries(run.Id, MetricNames.Objective.Kl).Count);
        }

        // One pretrained base per seed, restored from the stage cache in every other arm.
        var pretrains = runs.Select(r => store.GetRun(r.Id)!.Stages[0]).ToList();
        Assert.Equal(2, pretrains.Count(s => !s.Cached));

        // The gold arm's labels are gold; the debate and assisted arms spent model work the baseline did not.
        double[] Final(string arm, string metric) => [.. runs.Where(r => r.Arm == arm).OrderBy(r => r.Seed)
            .Select(r => store.GetMetricSeries(r.Id, metric)[^1].Value)];
        Assert.Equal([1.0, 1.0], Final("rlhf-gold", MetricNames.Feedback.GoldAgreement));

        // Intervals and tests, computed here with Math.NET from the store's values, match the outcome and the report.
        string html = File.ReadAllText(Path.Combine(outcome.Folder, "report.html"));
        const string accuracy = "eval/final/gold/accuracy";
        foreach (string arm in arms)
        {
            double[] values = Final(arm, accuracy);
            double mean = values.Average(), sd = Math.Sqrt(values.Sum(x => (x - mean) * (x - mean)) / (values.Length - 1));
            double half = StudentT.InvCDF(0, 1, values.Length - 1, 0.975) * sd / Math.Sqrt(values.Length);
            CompareCell cell = outcome.Cells.Single(c => c.Arm == arm && c.Metric == accuracy);
            Assert.Equal(values, cell.Values);
            Assert.Equal(mean, cell.Summary.Mean, 1e-12);
            if (sd > 0)
            {
                Assert.Equal(half, cell.Summary.HalfWidth, 1e-9);
                Assert.Contains($"{G4(mean)} [{G4(mean - half)}, {G4(mean + half)}] (n = 2)", html, StringComparison.Ordinal);
            }
            output.WriteLine($"{arm}: gold accuracy {string.Join(", ", values.Select(G4))}");
        }

        double[] gold = Final("rlhf-gold", accuracy), baseline = Final("rlhf", accuracy);
        double[] d = [.. gold.Zip(baseline, (a, b) => a - b)];
        CompareDifference difference = outcome.Differences.Single(x => x.Arm == "rlhf-gold" && x.Metric == accuracy);
        Assert.Equal("rlhf", difference.Baseline);
        Assert.Equal(d.Average(), difference.Paired.Difference, 1e-12);
        double dMean = d.Average(), dSd = Math.Abs(d[0] - d[1]) / Math.Sqrt(2);
        if (dSd > 0)
        {
            double t = dMean / (dSd / Math.Sqrt(2));
            Assert.Equal(t, difference.Paired.T, 1e-9);
            Assert.Equal(2 * StudentT.CDF(0, 1, 1, -Math.Abs(t)), difference.Paired.PValue, 1e-9);
        }

        // Gold and proxy against sqrt(KL): one chart per metric, one line per arm.
        foreach (string metric in new[] { "eval/proxy_reward", MetricNames.Gold.Accuracy, MetricNames.Gold.AccuracyUncheckable })
        {
            Match chart = Regex.Match(html, $"aria-label=\"{Regex.Escape(metric)} against eval/sqrt_kl\">(.*?)</svg>", RegexOptions.Singleline);
            Assert.True(chart.Success, $"no chart of {metric} against eval/sqrt_kl");
            Assert.Equal(arms.Length, Regex.Count(chart.Groups[1].Value, "<polyline class=\"line\""));
        }

        // The budget table: the first arm ran both bases, every other arm restored them (one cached stage per run), and
        // every arm's stages took measurable wall time.
        Match cachedRow = Regex.Match(html, "<tr><td>stages restored from the stage cache</td>((?:<td>[^<]*</td>)+)</tr>");
        Assert.True(cachedRow.Success, "no row of cached stages in the budget table");
        Assert.Equal(["0", .. arms.Skip(1).Select(_ => "1")], Regex.Matches(cachedRow.Groups[1].Value, "<td>([^<]*)</td>").Select(m => m.Groups[1].Value));
        Match wallRow = Regex.Match(html, "<tr><td>wall time of the stages run[^<]*</td>((?:<td>[^<]*</td>)+)</tr>");
        Assert.True(wallRow.Success, "no wall-time row in the budget table");
        Assert.All(Regex.Matches(wallRow.Groups[1].Value, "<td>([^<]*)</td>"), m => Assert.True(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) > 0, m.Value));

        // The report carries every arm's disclosure card and the hacking call as a metric.
        foreach (string arm in arms)
        {
            Assert.Contains($"<h3>Arm {HtmlEncoder.Create(UnicodeRanges.All).Encode(arm)}</h3>", html, StringComparison.Ordinal);
            Assert.All(Final(arm, MetricNames.Evaluation.RewardHacking), v => Assert.True(v is 0 or 1));
        }
    }

    /// <summary>The example at test size: same arms and stages, tiny model, two seeds, small label and step budgets.</summary>
    private static JsonObject Smaller(JsonObject manifest)
    {
        manifest["seeds"] = new JsonArray(1, 2);
        manifest["budgets"]!["labels"] = Labels;
        JsonObject task = manifest["base"]!["task"]!["options"]!.AsObject();
        task["trainPrompts"] = 400;
        task["testPrompts"] = 120;
        task["corpus"]!["examples"] = 1500;
        manifest["base"]!["policy"]!["options"] = new JsonObject { ["layers"] = 1, ["dModel"] = 32, ["heads"] = 2, ["valueHead"] = true };
        Shrink(manifest["base"]!["stages"]!.AsArray());
        foreach (JsonNode? arm in manifest["arms"]!.AsArray())
        {
            if (arm!["overrides"]?["stages"] is JsonArray stages)
            {
                Shrink(stages);
            }
        }
        return manifest;
    }

    private static void Shrink(JsonArray stages)
    {
        foreach (JsonObject stage in stages.Select(s => s!.AsObject()))
        {
            switch ((string?)stage["stage"])
            {
                case "pretrain":
                    stage["steps"] = 150;
                    stage["batchSize"] = 16;
                    stage.Remove("patience");
                    break;
                case "collect-feedback":
                    stage["labels"] = Labels;
                    break;
                case "evaluate-reward-model":
                    stage["pairs"] = 60;
                    break;
                case "optimize":
                    stage["evaluationPrompts"] = 40;
                    stage["optimizer"]!["options"]!["steps"] = PpoSteps;
                    stage["optimizer"]!["options"]!["evaluateEvery"] = 2;
                    break;
                case "evaluate":
                    stage["maxPrompts"] = 60;
                    break;
                case "critique-revise":
                    stage["prompts"] = 60;
                    stage["rounds"] = 2;
                    break;
                case "sft":
                    stage["epochs"] = 1;
                    break;
            }
        }
    }

    private static string G4(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
