using AlignFx.Abstractions.Plugins;
using AlignFx.Host.Manifests;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.LanguageModels.Tests;

/// <summary><c>alignfx compare --jobs N</c>: the runs go to worker processes against one store, and the numbers do not change.</summary>
public sealed class CompareJobsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-jobs-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private async Task<(RunStore Store, CompareOutcome Outcome)> RunCompare(string storeName, int jobs)
    {
        IComponentCatalog catalog = BuiltPlugins.Load("Tasks", "LanguageModels");
        string path = Path.Combine(_dir, "compare.json");
        File.WriteAllText(path, StageCacheTests.Compare);
        ManifestResult<CompareManifest> manifest = ManifestLoader.LoadCompare(path, catalog);
        Assert.True(manifest.IsValid, manifest.FormatErrors());
        string database = Path.Combine(_dir, storeName, "alignfx.db");
        var store = RunStore.Open(database);
        var runner = new PipelineRunner(catalog, store, NullLoggerFactory.Instance, TextWriter.Null);
        var workers = new ProcessCompareJobs(path, ["--store", database], TextWriter.Null,
            host: ["dotnet", Path.Combine(BuiltPlugins.HostDirectory, "alignfx.dll")]);
        CompareOutcome outcome = await new CompareRunner(runner, store) { Jobs = jobs, Launcher = workers }
            .RunAsync(manifest.Value!, TestContext.Current.CancellationToken);
        return (store, outcome);
    }

    [Fact]
    public async Task Two_worker_processes_give_the_same_runs_and_cells_as_one_in_process_runner()
    {
        var (parallelStore, parallel) = await RunCompare("parallel", jobs: 2);
        var (serialStore, serial) = await RunCompare("serial", jobs: 1);
        using (parallelStore)
        using (serialStore)
        {
            Assert.True(parallel.Status == RunStatus.Completed, string.Join("; ", parallel.Runs.Select(r => r.Error)));
            Assert.Equal(RunStatus.Completed, serial.Status);

            // Every arm × seed ran once, in a run of this compare, in the manifest's order.
            (string, long)[] Keys(RunStore store, CompareOutcome outcome) =>
                [.. outcome.Runs.Select(r => store.GetRun(r.RunId)!.Run).Select(run => (run.Arm!, run.Seed))];
            Assert.Equal(Keys(serialStore, serial), Keys(parallelStore, parallel));
            Assert.Equal(4, parallel.Runs.Select(r => r.RunId).Distinct().Count());

            Assert.Equal(serial.Cells.Select(c => (c.Arm, c.Metric)), parallel.Cells.Select(c => (c.Arm, c.Metric)));
            Assert.Equal(serial.Cells.Select(c => c.Values), parallel.Cells.Select(c => c.Values));
        }
    }
}
