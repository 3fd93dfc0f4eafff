using Microsoft.Extensions.Logging.Abstractions;
using AlignFx.Host.Plugins;
using AlignFx.Host.Manifests;
using AlignFx.Host.Cli;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using AlignFx.Host.Tests.Plugins;

namespace AlignFx.Host.Tests.Runner;

/// <summary>Compares end to end: arms × seeds, budgets matched, a summary with intervals.</summary>
public sealed class CompareRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-compare-").FullName;
    private string StorePath => Path.Combine(_dir, "runs", "alignfx.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Compare(int shortSteps, int longSteps) => $$"""
        {
          "name": "walks",
          "seeds": [1, 2, 3],
          "base": { "name": "walk", "task": "counting", "policy": "parrot",
                    "stages": [ { "stage": "random-walk", "steps": {{shortSteps}} } ] },
          "arms": [
            { "name": "short", "overrides": {} },
            { "name": "split", "overrides": { "stages": [ { "stage": "random-walk", "steps": {{longSteps}} },
                                                           { "stage": "random-walk", "id": "more", "steps": {{longSteps}} } ] } },
          ],
          "budgets": { "optimizationSteps": true },
          "report": { "metrics": ["walk/position", "gold/accuracy"] },
        }
        """;

    private (int Code, string Out, string Err) Cli(string json)
    {
        string path = Path.Combine(_dir, "compare.json");
        File.WriteAllText(path, json);
        var output = new StringWriter();
        var error = new StringWriter();
        int code = AlignFxCli.Invoke(["compare", path, "--store", StorePath, "--plugins", TestPluginFolders.Folder("GoodPlugin")], output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Every_arm_runs_with_every_seed_and_the_summary_matches_the_stored_final_values()
    {
        var (code, output, error) = Cli(Compare(shortSteps: 10, longSteps: 5));

        Assert.True(code == ExitCodes.Ok, error);
        using RunStore store = RunStore.Open(StorePath);
        var runs = store.ListRuns();
        Assert.Equal(6, runs.Count);
        Assert.Equal(["short", "short", "short", "split", "split", "split"], runs.Select(r => r.Arm!).Order());
        string compareId = Assert.Single(store.ListCompares()).Id;
        Assert.All(runs, r => Assert.Equal(compareId, r.CompareId));

        // Recompute the short arm's mean and interval from the store, independently of the summary code.
        double[] finals = [.. runs.Where(r => r.Arm == "short").OrderBy(r => r.Seed)
            .Select(r => store.GetMetricSeries(r.Id, "walk/position")[^1].Value)];
        double mean = finals.Average();
        double sd = Math.Sqrt(finals.Sum(x => (x - mean) * (x - mean)) / 2);
        // t(0.975, 2) in closed form: (2p − 1)·√(2 / (4p(1 − p))).
        double half = (2 * 0.975 - 1) * Math.Sqrt(2 / (4 * 0.975 * 0.025)) * sd / Math.Sqrt(3);
        string csv = File.ReadAllText(Path.Combine(store.RunsDirectory, "compares", compareId, "summary.csv"));
        string row = csv.Split('\n').Single(l => l.StartsWith("short,walk/position,", StringComparison.Ordinal));
        string[] fields = row.Split(',');
        Assert.Equal("3", fields[2]);
        Assert.Equal(mean, double.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture), 12);
        Assert.Equal(half, double.Parse(fields[4], System.Globalization.CultureInfo.InvariantCulture), 10);
        Assert.Contains("| walk/position |", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(store.RunsDirectory, "compares", compareId, "summary.md")));
    }

    [Fact]
    public void Arms_that_spend_unequal_budgets_are_refused_before_anything_runs()
    {
        var (code, _, error) = Cli(Compare(shortSteps: 10, longSteps: 6));

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("optimizationSteps", error, StringComparison.Ordinal);
        Assert.False(File.Exists(StorePath));
    }

    [Fact]
    public async Task Worker_jobs_never_run_two_runs_of_one_seed_at_once_so_a_shared_stage_is_computed_once()
    {
        var catalog = PluginCatalog.Load([TestPluginFolders.Folder("GoodPlugin")], includeBuiltIn: false);
        string path = Path.Combine(_dir, "compare.json");
        File.WriteAllText(path, Compare(shortSteps: 10, longSteps: 5).Replace("\"seeds\": [1, 2, 3]", "\"seeds\": [1, 2]", StringComparison.Ordinal));
        ManifestResult<CompareManifest> manifest = ManifestLoader.LoadCompare(path, catalog);
        Assert.True(manifest.IsValid, manifest.FormatErrors());
        using RunStore store = RunStore.Open(StorePath);
        var launcher = new RecordingLauncher();
        var runner = new CompareRunner(new PipelineRunner(catalog, store, NullLoggerFactory.Instance, TextWriter.Null), store) { Jobs = 3, Launcher = launcher };

        await runner.RunAsync(manifest.Value!, TestContext.Current.CancellationToken);

        // Four jobs on three workers: each seed's arms ran one after the other, in manifest order.
        Assert.Equal(4, launcher.Started.Count);
        Assert.False(launcher.SameSeedOverlapped);
        Assert.Equal(["short", "split"], launcher.Started.Where(j => j.Seed == 1).Select(j => j.Arm));
        Assert.Equal(["short", "split"], launcher.Started.Where(j => j.Seed == 2).Select(j => j.Arm));
    }

    /// <summary>Records when each job runs (a few milliseconds each) and whether two of one seed ever overlapped.</summary>
    private sealed class RecordingLauncher : ICompareJobLauncher
    {
        private readonly object _gate = new();
        private readonly List<int> _running = [];

        public List<CompareJob> Started { get; } = [];

        public bool SameSeedOverlapped { get; private set; }

        public async Task<int> RunAsync(CompareJob job, CancellationToken ct)
        {
            lock (_gate)
            {
                SameSeedOverlapped |= _running.Contains(job.Seed);
                _running.Add(job.Seed);
                Started.Add(job);
            }
            await Task.Delay(50, ct);
            lock (_gate)
            {
                _running.Remove(job.Seed);
            }
            return 0;
        }
    }
}
