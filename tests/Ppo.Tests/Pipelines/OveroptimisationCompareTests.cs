using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.Host.Manifests;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Ppo.Tests.Pipelines;

/// <summary>
/// examples/overoptimisation.json, Gao et al.'s sweep as a compare, at a small size: the best-of-n arm and one PPO arm
/// per KL coefficient share the pretrained base, and the report's Gao fits are the ones a least-squares solve written
/// here gets from the store's points.
/// </summary>
public sealed class OveroptimisationCompareTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-overopt-").FullName;

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
    public async Task The_sweep_arms_and_the_best_of_n_arm_run_on_one_base_and_the_report_fits_each_arm_as_an_independent_solve_does()
    {
        IComponentCatalog catalog = BuiltPlugins.Load("Tasks", "Feedback", "LanguageModels", "RewardModels", "Ppo");
        string path = Path.Combine(_dir, "overoptimisation.json");
        File.WriteAllText(path, Smaller(ExampleRun.Load("overoptimisation.json")).ToJsonString());
        ManifestResult<CompareManifest> manifest = ManifestLoader.LoadCompare(path, catalog);
        Assert.True(manifest.IsValid, manifest.FormatErrors());
        using RunStore store = RunStore.Open(Path.Combine(_dir, "runs", "alignfx.db"));
        var runner = new PipelineRunner(catalog, store, NullLoggerFactory.Instance, TextWriter.Null);

        CompareOutcome outcome = await new CompareRunner(runner, store).RunAsync(manifest.Value!, TestContext.Current.CancellationToken);

        Assert.True(outcome.Status == RunStatus.Completed, string.Join("; ", outcome.Runs.Select(r => r.Error).OfType<string>()));
        string[] rlArms = ["klCoefficient=0.02", "klCoefficient=0.05", "klCoefficient=0.2", "klCoefficient=0.5"];
        Assert.Equal(["best-of-n", .. rlArms], manifest.Value!.Arms.Select(a => a.Name));
        var runs = store.ListCompareRuns(outcome.CompareId);
        Assert.Equal(2, runs.Select(r => store.GetRun(r.Id)!.Stages[0]).Count(s => !s.Cached)); // one pretrain per seed

        string html = File.ReadAllText(Path.Combine(outcome.Folder, "report.html"));
        Assert.Contains("<h2>Overoptimisation fits (Gao et al. 2022)</h2>", html, StringComparison.Ordinal);

        // Each arm's fit, solved here from the store's points: the gain over each seed's own d = 0 point, the normal
        // equations of Δgold = α·d + β·g(d) without intercept, solved by Cramer's rule.
        Check("best-of-n", "bon/proxy/sqrt_kl", "bon/proxy/gold", d => -d * d);
        foreach (string arm in rlArms)
        {
            Check(arm, MetricNames.Evaluation.SqrtKl, MetricNames.Gold.RewardMean, d => -d * Math.Log(d));
        }

        // One chart per fit: each arm's mean curve and its fitted line.
        Match bonChart = Regex.Match(html, "aria-label=\"bon/proxy/gold against bon/proxy/sqrt_kl: best-of-n fit\">(.*?)</svg>", RegexOptions.Singleline);
        Assert.True(bonChart.Success, "no best-of-n fit chart");
        Assert.Equal(2, Regex.Count(bonChart.Groups[1].Value, "<polyline class=\"line\""));
        Match rlChart = Regex.Match(html, $"aria-label=\"{MetricNames.Gold.RewardMean} against {MetricNames.Evaluation.SqrtKl}: rl fit\">(.*?)</svg>", RegexOptions.Singleline);
        Assert.True(rlChart.Success, "no RL fit chart");
        Assert.Equal(2 * rlArms.Length, Regex.Count(rlChart.Groups[1].Value, "<polyline class=\"line\""));

        void Check(string arm, string x, string y, Func<double, double> second)
        {
            var points = new List<(double D, double Gain)>();
            foreach (RunInfo run in runs.Where(r => r.Arm == arm))
            {
                var ys = store.GetMetrics(run.Id).Single(s => s.Name == y);
                var xs = store.GetMetrics(run.Id).Single(s => s.Name == x && s.StageIndex == ys.StageIndex);
                var d = xs.Steps.Zip(xs.Values).ToDictionary(p => p.First, p => p.Second);
                var curve = ys.Steps.Zip(ys.Values).Where(p => d.ContainsKey(p.First)).Select(p => (D: d[p.First], Gold: p.Second)).ToList();
                double zero = curve.First(p => p.D == 0).Gold;
                points.AddRange(curve.Where(p => p.D > 0).Select(p => (p.D, p.Gold - zero)));
            }
            double s11 = points.Sum(p => p.D * p.D), s12 = points.Sum(p => p.D * second(p.D)), s22 = points.Sum(p => second(p.D) * second(p.D));
            double t1 = points.Sum(p => p.D * p.Gain), t2 = points.Sum(p => second(p.D) * p.Gain);
            double det = s11 * s22 - s12 * s12, alpha = (t1 * s22 - t2 * s12) / det, beta = (s11 * t2 - s12 * t1) / det;
            double mean = points.Average(p => p.Gain);
            double r2 = 1 - points.Sum(p => Math.Pow(p.Gain - alpha * p.D - beta * second(p.D), 2)) / points.Sum(p => Math.Pow(p.Gain - mean, 2));
            output.WriteLine($"{arm}: {points.Count} points, alpha {G4(alpha)}, beta {G4(beta)}, R² {G4(r2)}");
            Match row = Regex.Match(html, $"<tr><td>[a-z-]+</td><td>{Regex.Escape(arm)}</td><td>2</td><td>{points.Count}</td><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>");
            Assert.True(row.Success, $"no fit row for {arm} with 2 runs and {points.Count} points");
            Assert.Equal(alpha, double.Parse(row.Groups[1].Value, CultureInfo.InvariantCulture), Tolerance(row.Groups[1].Value));
            Assert.Equal(beta, double.Parse(row.Groups[2].Value, CultureInfo.InvariantCulture), Tolerance(row.Groups[2].Value));
            Assert.Equal(r2, double.Parse(row.Groups[3].Value, CultureInfo.InvariantCulture), Tolerance(row.Groups[3].Value));
        }
    }

    /// <summary>Half a unit in the last printed digit of <paramref name="printed"/> (the report prints 4 significant digits).</summary>
    private static double Tolerance(string printed)
    {
        double value = Math.Abs(double.Parse(printed, CultureInfo.InvariantCulture));
        return value == 0 ? 1e-12 : 0.5 * Math.Pow(10, Math.Floor(Math.Log10(value)) - 3) * 1.0001;
    }

    /// <summary>The example at test size: same arms and stages, a tiny model, two seeds, small budgets.</summary>
    private static JsonObject Smaller(JsonObject manifest)
    {
        manifest["seeds"] = new JsonArray(1, 2);
        manifest["budgets"]!["labels"] = 200;
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
                    break;
                case "collect-feedback":
                    stage["labels"] = 200;
                    break;
                case "optimize":
                    stage["evaluationPrompts"] = 40;
                    stage["optimizer"]!["options"]!["steps"] = 4;
                    stage["optimizer"]!["options"]!["evaluateEvery"] = 1;
                    break;
                case "overoptimisation":
                    stage["prompts"] = 30;
                    stage["ns"] = new JsonArray(1, 2, 4, 8, 16);
                    break;
            }
        }
    }

    private static string G4(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
