using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.Evaluation;
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
        double stageAgreement = outcome.Artifacts.Get<EvaluationResults>(CollectFeedbackStage.ResultsKey).Metrics[TaskMetrics.LabelGoldAgreement];
        var series = store.GetMetricSeries(outcome.RunId, AssistedMetrics.GoldAgreement);
        Assert.Equal(3, series.Count);
        Assert.Equal(stageAgreement, series[^1].Value, 9);
        Assert.True(store.GetMetricSeries(outcome.RunId, AssistedMetrics.GoldAgreementUncheckable)[^1].Value
            > store.GetMetricSeries(outcome.RunId, AssistedMetrics.UnassistedGoldAgreementUncheckable)[^1].Value);
    }
}
