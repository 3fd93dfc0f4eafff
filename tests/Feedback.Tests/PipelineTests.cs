using AlignFx.Evaluation;
using System.Reflection;
using System.Text.Json.Nodes;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Manifests;
using AlignFx.Host.Plugins;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Feedback.Tests;

/// <summary>
/// collect-feedback through the host's runner, with the built Tasks and Feedback plugins loaded from their folders and
/// the scripted corpus policy standing in for the GPT policy.
/// </summary>
public sealed class PipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-feedback-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static readonly Lazy<IComponentCatalog> Catalog = new(() =>
    {
        var catalog = BuiltPlugins.Load("Tasks", "Feedback");
        return new TestCatalog(catalog, TestCatalog.ScriptedPolicy);
    });

    private const string Manifest = """
        {
          "name": "collect",
          "seed": 3,
          "task": { "name": "arithmetic", "options": { "trainPrompts": 500 } },
          "policy": "scripted",
          "stages": [
            { "stage": "collect-feedback", "labels": 300,
              "source": { "name": "simulated-human", "options": { "verificationLimit": 1, "confidenceBias": 1 } } },
            { "stage": "collect-feedback", "id": "oracle", "labels": 50, "samplesPerPrompt": 3, "source": "gold" },
          ],
        }
        """;

    private string Write(string name, string json)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    private async Task<(RunOutcome Outcome, RunStore Store)> Run(string json, long? seed = null)
    {
        ManifestResult<PipelineManifest> manifest = ManifestLoader.LoadPipeline(Write("m.json", json), Catalog.Value);
        Assert.True(manifest.IsValid, manifest.FormatErrors());
        RunStore store = RunStore.Open(Path.Combine(_dir, "runs", "alignfx.db"));
        var runner = new PipelineRunner(Catalog.Value, store, NullLoggerFactory.Instance, TextWriter.Null);
        return (await runner.RunAsync(manifest.Value!, seed), store);
    }

    [Fact]
    public async Task Collect_feedback_runs_in_a_pipeline_and_leaves_labels_metrics_and_results()
    {
        var (outcome, store) = await Run(Manifest);
        using (store)
        {
            Assert.True(outcome.Status == RunStatus.Completed, outcome.Error);
            FeedbackDataset data = outcome.Artifacts.Get<FeedbackDataset>();
            Assert.Equal(350, data.Records.Count);
            Assert.Equal(300, data.Records.Count(r => r.Provenance.Source == "simulated-human"));
            Assert.Equal(30, data.TotalCost, 9);
            Assert.Equal(350, data.Records.Select(r => r.QueryId).Distinct().Count());

            var labels = store.GetMetricSeries(outcome.RunId, MetricNames.Feedback.Labels);
            Assert.Equal([300.0, 50.0], labels.GroupBy(p => p.StageIndex).Select(g => g.Last().Value));
            var agreement = store.GetMetricSeries(outcome.RunId, MetricNames.Feedback.GoldAgreement);
            Assert.Equal(2, agreement.Count);
            Assert.InRange(agreement[0].Value, 0.5, 0.9); // limited oversight and a confidence bias: well short of the oracle
            Assert.Equal(1, agreement[1].Value);
            Assert.Equal(50, outcome.Artifacts.Get<EvaluationResults>(CollectFeedbackStage.ResultsKey).Metrics[MetricNames.Feedback.Labels]);

            // Every label is in the store too, with its provenance, in the stage that collected it.
            var stored = store.GetFeedback(outcome.RunId);
            Assert.Equal(350, stored.Count);
            Assert.Equal([300, 50], stored.GroupBy(f => f.StageIndex).Select(g => g.Count()));
            Assert.All(stored, f => Assert.Equal("pairwise", f.Kind));
            Assert.Equal(data.TotalCost, stored.Sum(f => f.Cost), 9);
            Assert.Equal(data.Records.Select(r => r.Provenance.Annotator).Order(), stored.Select(f => f.Annotator!).Order());
            Assert.All(stored, f => Assert.Contains("\"preferFirst\"", f.PayloadJson, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Ratings_are_collected_one_per_sampled_response()
    {
        var (outcome, store) = await Run(Manifest.Replace("\"labels\": 50, \"samplesPerPrompt\": 3", "\"labels\": 20, \"kind\": \"rating\"", StringComparison.Ordinal));
        using (store)
        {
            Assert.True(outcome.Status == RunStatus.Completed, outcome.Error);
            var ratings = outcome.Artifacts.Get<FeedbackDataset>().Records.OfType<RatingFeedback>().ToList();
            Assert.Equal(20, ratings.Count);
            var task = new AlignFx.Tasks.Arithmetic.ArithmeticTask(new AlignFx.Tasks.Arithmetic.ArithmeticOptions(), new TestRunContext(0));
            // The oracle rates a right answer 7 and a wrong one 1.
            Assert.All(ratings, r => Assert.Equal(task.Evaluate(r.Response).Score == 1 ? 7 : 1, r.Rating));
            Assert.True(double.IsNaN(outcome.Artifacts.Get<EvaluationResults>(CollectFeedbackStage.ResultsKey).Metrics[MetricNames.Feedback.GoldAgreement]));
        }
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_labels_and_another_seed_other_ones()
    {
        static IEnumerable<(string, string, string, double)> Labels(RunOutcome o) =>
            o.Artifacts.Get<FeedbackDataset>().Pairwise.Select(p => (p.QueryId, p.First.Text, p.Second.Text, p.PreferFirst));

        var (a, storeA) = await Run(Manifest);
        storeA.Dispose();
        var (b, storeB) = await Run(Manifest);
        storeB.Dispose();
        var (c, storeC) = await Run(Manifest, seed: 4);
        storeC.Dispose();

        Assert.Equal(Labels(a), Labels(b));
        Assert.NotEqual(Labels(a).Select(l => l.Item2), Labels(c).Select(l => l.Item2));
    }

    [Fact]
    public void Invalid_options_are_refused_with_their_paths_and_reasons()
    {
        string bad = """
            { "name": "bad", "seed": 1,
              "task": { "name": "arithmetic", "options": { "hardFraction": 1.5, "corpus": { "confidentRate": 0.8, "hedgedRate": 0.5 } } },
              "policy": "scripted",
              "stages": [ { "stage": "collect-feedback", "labels": 0, "samplesPerPrompt": 1,
                            "source": { "name": "simulated-human", "options": { "annotators": 1, "profiles": [ {}, {} ] } } },
                          { "stage": "collect-feedback", "id": "second", "source": { "name": "simulated-human", "options": { "randomRate": 2 } } } ] }
            """;
        ManifestResult<PipelineManifest> result = ManifestLoader.LoadPipeline(Write("bad.json", bad), Catalog.Value);

        Assert.False(result.IsValid);
        string errors = result.FormatErrors();
        Assert.Contains("$.task.options.hardFraction: must be in [0, 1]", errors, StringComparison.Ordinal);
        Assert.Contains("$.task.options.corpus.hedgedRate: confidentRate + hedgedRate must be at most 1 (a response has one tone), not 1.3", errors, StringComparison.Ordinal);
        Assert.Contains("$.stages[0].labels: must be in [1, 10000000]", errors, StringComparison.Ordinal);
        Assert.Contains("$.stages[0].samplesPerPrompt: must be in [2, 16]", errors, StringComparison.Ordinal);
        Assert.Contains("$.stages[1].source.options.randomRate: must be in [0, 1]", errors, StringComparison.Ordinal);
        Assert.Contains("$.stages[0].source.options.profiles: has 2 profiles for 1 annotators; give at most one profile per annotator", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void The_example_manifests_are_valid_once_a_policy_is_present()
    {
        string[] examples = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "examples"), "feedback-*.json");
        Assert.True(examples.Length >= 8, $"{examples.Length} examples");
        foreach (string path in examples)
        {
            // The examples pretrain the gpt policy (issue 4), which this repository does not have yet: check the rest.
            var json = JsonNode.Parse(File.ReadAllText(path), documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
            Assert.Contains("gpt", json["description"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal("gpt", json["policy"] is JsonObject p ? p["name"]!.GetValue<string>() : json["policy"]!.GetValue<string>());
            json["policy"] = "scripted";
            var stages = json["stages"]!.AsArray();
            foreach (JsonNode? stage in stages.Where(s => s!["stage"]!.GetValue<string>() != "collect-feedback").ToList())
            {
                stages.Remove(stage);
            }
            Assert.NotEmpty(stages);
            ManifestResult<PipelineManifest> result = ManifestLoader.LoadPipeline(Write(Path.GetFileName(path), json.ToJsonString()), Catalog.Value);
            Assert.True(result.IsValid, $"{Path.GetFileName(path)}: {result.FormatErrors()}");
        }
    }

}
