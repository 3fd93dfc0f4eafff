using AlignFx.Abstractions.Plugins;
using AlignFx.Host.Manifests;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using AlignFx.LanguageModels;
using Microsoft.Extensions.Logging.Abstractions;

[assembly: AssemblyFixture(typeof(AlignFx.ChatModels.Tests.TinyPolicy))]

namespace AlignFx.ChatModels.Tests;

/// <summary>
/// A tiny gpt policy pretrained on the arithmetic task through the host's runner (a few seconds), shared by every test:
/// the checkpoint that serve serves and the policy chat model loads.
/// </summary>
public sealed class TinyPolicy : IDisposable
{
    public const string Task = """{ "name": "arithmetic", "options": { "trainPrompts": 40, "testPrompts": 40, "corpus": { "examples": 600 } } }""";

    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-chat-").FullName;

    public TinyPolicy()
    {
        Catalog = BuiltPlugins.Load("Tasks", "LanguageModels", "Feedback", "ChatModels");
        string manifest = $$"""
            {
              "name": "tiny-pretrain",
              "seed": 3,
              "task": {{Task}},
              "policy": { "name": "gpt", "options": { "layers": 1, "dModel": 32, "heads": 2, "context": 96 } },
              "stages": [ { "stage": "pretrain", "steps": 150, "batchSize": 16, "evaluateEvery": 150, "learningRate": 0.01 } ],
            }
            """;
        string path = Path.Combine(_dir, "pretrain.json");
        File.WriteAllText(path, manifest);
        ManifestResult<PipelineManifest> loaded = ManifestLoader.LoadPipeline(path, Catalog);
        Assert.True(loaded.IsValid, loaded.FormatErrors());
        using RunStore store = RunStore.Open(Path.Combine(_dir, "pretrain", "alignfx.db"));
        RunOutcome outcome = new PipelineRunner(Catalog, store, NullLoggerFactory.Instance, TextWriter.Null)
            .RunAsync(loaded.Value!).GetAwaiter().GetResult();
        Assert.True(outcome.Status == RunStatus.Completed, outcome.Error);
        ArtifactEntry weights = store.GetArtifacts(outcome.RunId).Single(a => a.RelativePath.EndsWith(GptPolicy.WeightsFile, StringComparison.Ordinal));
        Checkpoint = Path.GetDirectoryName(Path.Combine(store.GetRunFolder(outcome.RunId), weights.RelativePath))!;
    }

    /// <summary>The built plugins, loaded as alignfx loads them.</summary>
    public IComponentCatalog Catalog { get; }

    /// <summary>The checkpoint folder (model.safetensors, model.json, tokenizer.json).</summary>
    public string Checkpoint { get; }

    /// <summary>A fresh folder for one test's files.</summary>
    public string NewFolder(string name) => Directory.CreateDirectory(Path.Combine(_dir, name + "-" + Guid.NewGuid().ToString("N")[..8])).FullName;

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
}
