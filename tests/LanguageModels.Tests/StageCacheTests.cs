using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Plugins;
using AlignFx.Host.Manifests;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.LanguageModels.Tests;

/// <summary>The host's stage cache with the pretrain stage: arms that share a pretrained base pretrain it once per seed.</summary>
public sealed class StageCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-cache-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    // Two arms share stage 0 and differ in stage 1, which goes on training the restored weights: its losses
    // depend on every restored weight, so they show whether the restore is exact.
    internal const string Compare = """
        {
          "name": "shared-base",
          "seeds": [1, 2],
          "base": {
            "name": "base",
            "task": { "name": "arithmetic", "options": { "trainPrompts": 50, "testPrompts": 50, "corpus": { "examples": 600 } } },
            "policy": { "name": "gpt", "options": { "layers": 1, "dModel": 32, "heads": 2, "context": 96 } },
            "stages": [
              { "stage": "pretrain", "steps": 40, "batchSize": 16, "evaluateEvery": 20, "warmupSteps": 5, "learningRate": 0.005 },
              { "stage": "pretrain", "id": "more", "steps": 10, "batchSize": 16, "evaluateEvery": 5, "warmupSteps": 2, "learningRate": 0.001, "saveCheckpoint": false },
            ],
          },
          "arms": [
            { "name": "slow", "overrides": {} },
            { "name": "fast", "overrides": { "stages": [
              { "stage": "pretrain", "steps": 40, "batchSize": 16, "evaluateEvery": 20, "warmupSteps": 5, "learningRate": 0.005 },
              { "stage": "pretrain", "id": "more", "steps": 10, "batchSize": 16, "evaluateEvery": 5, "warmupSteps": 2, "learningRate": 0.003, "saveCheckpoint": false },
            ] } },
          ],
          "report": { "metrics": ["pretrain/loss"] },
        }
        """;

    private async Task<(RunStore Store, CompareOutcome Outcome)> RunCompare(string storeName, bool useCache)
    {
        IComponentCatalog catalog = BuiltPlugins.Load("Tasks", "LanguageModels");
        string path = Path.Combine(_dir, "compare.json");
        File.WriteAllText(path, Compare);
        ManifestResult<CompareManifest> manifest = ManifestLoader.LoadCompare(path, catalog);
        Assert.True(manifest.IsValid, manifest.FormatErrors());
        var store = RunStore.Open(Path.Combine(_dir, storeName, "alignfx.db"));
        var runner = new PipelineRunner(catalog, store, NullLoggerFactory.Instance, TextWriter.Null) { UseCache = useCache };
        CompareOutcome outcome = await new CompareRunner(runner, store).RunAsync(manifest.Value!, TestContext.Current.CancellationToken);
        Assert.Equal(RunStatus.Completed, outcome.Status);
        return (store, outcome);
    }

    private static IEnumerable<StageInfo> Stages(RunStore store, CompareOutcome outcome, int index) =>
        outcome.Runs.Select(r => store.GetRun(r.RunId)!.Stages[index]);

    private static double[] Losses(RunStore store, string runId, int stage) =>
        [.. store.GetMetricSeries(runId, MetricNames.Pretrain.Loss).Where(p => p.StageIndex == stage).Select(p => p.Value)];

    [Fact]
    public async Task Arms_sharing_a_pretrain_stage_run_it_once_per_seed_and_train_on_exactly_the_same_weights()
    {
        var (cachedStore, cached) = await RunCompare("cached", useCache: true);
        var (plainStore, plain) = await RunCompare("plain", useCache: false);
        using (cachedStore)
        using (plainStore)
        {
            // Four runs; stage 0 ran once per seed and was restored for the other arm.
            Assert.Equal(4, cached.Runs.Count);
            Assert.Equal(2, Stages(cachedStore, cached, 0).Count(s => !s.Cached));
            Assert.Equal(2, Stages(cachedStore, cached, 0).Count(s => s.Cached));
            Assert.All(Stages(cachedStore, cached, 1), s => Assert.False(s.Cached));
            Assert.All(Stages(plainStore, plain, 0).Concat(Stages(plainStore, plain, 1)), s => Assert.Null(s.CacheKey));

            // Same numbers as without the cache, to the last bit: the restored stage's records and the stage trained after it.
            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(Losses(plainStore, plain.Runs[i].RunId, 0), Losses(cachedStore, cached.Runs[i].RunId, 0));
                Assert.Equal(Losses(plainStore, plain.Runs[i].RunId, 1), Losses(cachedStore, cached.Runs[i].RunId, 1));
            }
            Assert.Equal(plain.Cells.Select(c => c.Values), cached.Cells.Select(c => c.Values));

            // A restored stage registers the same checkpoint files, with the same content, as the run it came from.
            foreach (var seed in cached.Runs.GroupBy(r => cachedStore.GetRun(r.RunId)!.Run.Seed))
            {
                var files = seed.Select(r => cachedStore.GetArtifacts(r.RunId).Where(a => a.StageIndex == 0)
                    .Select(a => (a.RelativePath, a.Sha256)).Order().ToList()).ToList();
                Assert.Equal(3, files[0].Count);
                Assert.All(files, f => Assert.Equal(files[0], f));
            }
        }
    }

    private static string Pipeline(int seed, double learningRate, int laterSteps) => $$"""
        {
          "name": "tiny", "seed": {{seed}},
          "task": { "name": "arithmetic", "options": { "trainPrompts": 50, "testPrompts": 50, "corpus": { "examples": 300 } } },
          "policy": { "name": "gpt", "options": { "layers": 1, "dModel": 16, "heads": 2, "context": 96 } },
          "stages": [
            { "stage": "pretrain", "steps": 10, "batchSize": 8, "evaluateEvery": 5, "warmupSteps": 2, "learningRate": {{learningRate}} },
            { "stage": "pretrain", "id": "more", "steps": {{laterSteps}}, "batchSize": 8, "evaluateEvery": 5, "warmupSteps": 2, "saveCheckpoint": false },
          ],
        }
        """;

    [Fact]
    public async Task A_stage_is_reused_only_when_its_options_everything_before_it_and_the_seed_are_the_same()
    {
        IComponentCatalog catalog = BuiltPlugins.Load("Tasks", "LanguageModels");
        using RunStore store = RunStore.Open(Path.Combine(_dir, "runs", "alignfx.db"));
        var runner = new PipelineRunner(catalog, store, NullLoggerFactory.Instance, TextWriter.Null);
        async Task<bool[]> Run(string json)
        {
            string path = Path.Combine(_dir, "pipeline.json");
            File.WriteAllText(path, json);
            ManifestResult<PipelineManifest> manifest = ManifestLoader.LoadPipeline(path, catalog);
            Assert.True(manifest.IsValid, manifest.FormatErrors());
            RunOutcome outcome = await runner.RunAsync(manifest.Value!, cancellation: TestContext.Current.CancellationToken);
            Assert.True(outcome.Status == RunStatus.Completed, outcome.Error);
            return [.. store.GetRun(outcome.RunId)!.Stages.Select(s => s.Cached)];
        }

        Assert.Equal(new[] { false, false }, await Run(Pipeline(seed: 1, learningRate: 0.005, laterSteps: 5)));
        Assert.Equal(new[] { true, true }, await Run(Pipeline(seed: 1, learningRate: 0.005, laterSteps: 5)));
        Assert.Equal(new[] { true, false }, await Run(Pipeline(seed: 1, learningRate: 0.005, laterSteps: 6)));
        Assert.Equal(new[] { false, false }, await Run(Pipeline(seed: 2, learningRate: 0.005, laterSteps: 5)));
        Assert.Equal(new[] { false, false }, await Run(Pipeline(seed: 1, learningRate: 0.004, laterSteps: 5)));

        // A damaged entry (a file gone) is not used: the stage runs again, the run completes, and its results replace the entry.
        string cache = Path.Combine(_dir, "runs", "cache");
        foreach (string weights in Directory.EnumerateFiles(cache, "weights.safetensors", SearchOption.AllDirectories))
        {
            File.Delete(weights);
        }
        Assert.Equal(new[] { false, false }, await Run(Pipeline(seed: 1, learningRate: 0.005, laterSteps: 5)));
        Assert.Empty(Directory.EnumerateDirectories(cache, ".tmp-*"));
        Assert.Equal(new[] { true, true }, await Run(Pipeline(seed: 1, learningRate: 0.005, laterSteps: 5)));
    }
}
