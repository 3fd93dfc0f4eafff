using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Evaluation;
using AlignFx.Tasks.Arithmetic;
using AlignFx.Host.Manifests;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Feedback.Tests;

/// <summary>The assisted source in a run of the host, with the built Tasks, Feedback and Critics plugins.</summary>
public sealed class AssistedPipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-assisted-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Collect_feedback_with_the_assisted_source_stores_its_measurements_and_critiques()
    {
        var catalog = new TestCatalog(BuiltPlugins.Load("Tasks", "Feedback", "Critics"), TestCatalog.ScriptedPolicy);
        string path = Path.Combine(_dir, "m.json");
        File.WriteAllText(path, """
            {
              "name": "assisted", "seed": 6,
              "task": { "name": "arithmetic", "options": { "trainPrompts": 400, "hardOperations": 3, "operators": "+-" } },
              "policy": "scripted",
              "stages": [
                { "stage": "collect-feedback", "labels": 300, "batchPrompts": 100,
                  "source": { "name": "assisted", "options": {
                    "source": { "name": "simulated-human", "options": { "verificationLimit": 3 } },
                    "critic": { "name": "scripted", "options": { "recall": 0.9, "falseAlarmRate": 0.1 } } } } },
              ],
            }
            """);
        ManifestResult<PipelineManifest> manifest = ManifestLoader.LoadPipeline(path, catalog);
        Assert.True(manifest.IsValid, manifest.FormatErrors());
        using RunStore store = RunStore.Open(Path.Combine(_dir, "alignfx.db"));

        RunOutcome outcome = await new PipelineRunner(catalog, store, NullLoggerFactory.Instance, TextWriter.Null).RunAsync(manifest.Value!, cancellation: TestContext.Current.CancellationToken);

        Assert.True(outcome.Status == RunStatus.Completed, outcome.Error);
        FeedbackDataset labels = outcome.Artifacts.Get<FeedbackDataset>();
        Assert.Equal(300, labels.Records.Count);
        Assert.All(labels.Records, r =>
        {
            Assert.Equal(AssistedFeedbackSource.Name, r.Provenance.Source);
            Assert.Equal(2, r.Transcript!.Count);
        });
        // The stage's agreement and the source's own are the same labels measured twice.
        double stageAgreement = outcome.Artifacts.Get<EvaluationResults>(CollectFeedbackStage.ResultsKey).Metrics[MetricNames.Feedback.GoldAgreement];
        var series = store.GetMetricSeries(outcome.RunId, AssistedMetrics.GoldAgreement);
        Assert.Equal(3, series.Count);
        Assert.Equal(stageAgreement, series[^1].Value, 9);
        Assert.True(store.GetMetricSeries(outcome.RunId, AssistedMetrics.GoldAgreementUncheckable)[^1].Value
            > store.GetMetricSeries(outcome.RunId, AssistedMetrics.UnassistedGoldAgreementUncheckable)[^1].Value);
    }

    [Fact]
    public void A_manifest_pairing_the_assisted_source_with_a_task_without_claims_is_refused_before_the_run()
    {
        var catalog = new TestCatalog(BuiltPlugins.Load("Tasks", "Feedback", "Critics"), TestCatalog.ScriptedPolicy,
            TestCatalog.Describe(ComponentKinds.Task, "no-claims", typeof(NoClaimsTask)));
        string path = Path.Combine(_dir, "m.json");
        File.WriteAllText(path, """
            {
              "name": "no-claims", "seed": 1, "task": "no-claims", "policy": "scripted",
              "stages": [ { "stage": "collect-feedback", "labels": 10, "source": "assisted" } ],
            }
            """);

        ManifestResult<PipelineManifest> manifest = ManifestLoader.LoadPipeline(path, catalog);

        Assert.False(manifest.IsValid);
        Assert.Contains("needs a task with checkable claims", manifest.FormatErrors(), StringComparison.Ordinal);
        Assert.Contains("$.stages[0].source", manifest.FormatErrors(), StringComparison.Ordinal);
    }

    /// <summary>The arithmetic task's prompts and gold, without its claim checker.</summary>
    private sealed class NoClaimsTask(IRunContext context) : ITask
    {
        private readonly ArithmeticTask _inner = new(new ArithmeticOptions { TrainPrompts = 50 }, context);

        public IReadOnlyList<string> Splits => _inner.Splits;
        public IGoldEvaluator? Gold => _inner;
        public IReadOnlyList<Prompt> GetPrompts(string split) => _inner.GetPrompts(split);
        public IReadOnlyList<PretrainingExample> GetPretrainingCorpus() => _inner.GetPretrainingCorpus();
    }
}
