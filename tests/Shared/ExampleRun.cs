using System.Text.Json;
using System.Text.Json.Nodes;
using AlignFx.Abstractions.Plugins;
using AlignFx.Host.Manifests;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Testing;

/// <summary>
/// Runs a manifest from <c>examples/</c> (usually made smaller by the test) through the host's runner with the built
/// plugins, in a temporary store that is deleted afterwards. Linked into the test projects that run example manifests.
/// </summary>
internal sealed class ExampleRun : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-example-").FullName;
    private RunStore? _store;

    /// <summary>The run's outcome (after <see cref="RunAsync"/>).</summary>
    public RunOutcome Outcome { get; private set; } = null!;

    /// <summary>The store the run was recorded in (after <see cref="RunAsync"/>).</summary>
    public RunStore Store => _store ?? throw new InvalidOperationException("Run the manifest first.");

    /// <summary>The manifest <c>examples/<paramref name="fileName"/></c>, copied next to the test assembly by its project.</summary>
    public static JsonObject Load(string fileName) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "examples", fileName)),
            documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();

    /// <summary>Validates <paramref name="manifest"/> against <paramref name="catalog"/> (failing the test on any error) and runs it to the end.</summary>
    public async Task<RunOutcome> RunAsync(JsonObject manifest, IComponentCatalog catalog, CancellationToken ct)
    {
        string path = Path.Combine(_dir, "manifest.json");
        File.WriteAllText(path, manifest.ToJsonString());
        ManifestResult<PipelineManifest> loaded = ManifestLoader.LoadPipeline(path, catalog);
        Assert.True(loaded.IsValid, loaded.FormatErrors());
        _store = RunStore.Open(Path.Combine(_dir, "runs", "alignfx.db"));
        var runner = new PipelineRunner(catalog, _store, NullLoggerFactory.Instance, TextWriter.Null);
        Outcome = await runner.RunAsync(loaded.Value!, cancellation: ct);
        Assert.True(Outcome.Status == RunStatus.Completed, Outcome.Error);
        return Outcome;
    }

    /// <summary>The values of metric <paramref name="name"/>, in logging order.</summary>
    public IReadOnlyList<double> Metric(string name) => [.. Store.GetMetricSeries(Outcome.RunId, name).Select(p => p.Value)];

    public void Dispose()
    {
        _store?.Dispose();
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
