using System.Diagnostics;
using AlignFx.Host.Cli;
using AlignFx.Host.Manifests;
using AlignFx.Host.Plugins;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using AlignFx.Host.Tests.Plugins;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.Host.Tests.Runner;

/// <summary>End-to-end runs of real manifests through the CLI, with the test plugin's components.</summary>
public sealed class PipelineRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignfx-runner-").FullName;
    private string StorePath => Path.Combine(_dir, "runs", "alignfx.db");
    private static string GoodPlugin => TestPluginFolders.Folder("GoodPlugin");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string Manifest(string name, string json)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    private static string Walk(int steps = 20, int seed = 7, string extra = "") => $$"""
        {
          // comments and trailing commas are allowed
          "name": "walk",
          "seed": {{seed}},
          "task": { "name": "counting", "options": { "prompts": 3 } },
          "policy": "parrot",
          "stages": [
            { "stage": "random-walk", "steps": {{steps}} {{extra}} },
            { "stage": "random-walk", "id": "second", "steps": 5, },
          ],
        }
        """;

    private (int Code, string Out, string Err) Cli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = AlignFxCli.Invoke([.. args, "--store", StorePath, "--plugins", GoodPlugin], output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void A_pipeline_runs_every_stage_and_records_metrics_and_artifacts()
    {
        var (code, output, error) = Cli("run", Manifest("walk.json", Walk()));

        Assert.True(code == ExitCodes.Ok, error);
        using RunStore store = RunStore.Open(StorePath);
        RunInfo run = Assert.Single(store.ListRuns());
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(7, run.Seed);
        RunDetails details = store.GetRun(run.Id)!;
        Assert.Equal(["random-walk", "second"], details.Stages.Select(s => s.StageId));
        Assert.Equal(20, store.GetMetrics(run.Id).Single(s => s.Name == "walk/position" && s.StageIndex == 0).Values.Count);
        Assert.Equal(5, store.GetMetrics(run.Id).Single(s => s.Name == "walk/position" && s.StageIndex == 1).Values.Count);
        // The parrot answers "1" to "1": never the next number, so gold accuracy is exactly 0.
        Assert.All(store.GetMetricSeries(run.Id, "gold/accuracy"), p => Assert.Equal(0, p.Value));
        ArtifactEntry artifact = Assert.Single(store.GetArtifacts(run.Id));
        Assert.Equal(5, File.ReadAllLines(Path.Combine(store.GetRunFolder(run.Id), artifact.RelativePath)).Length);
        Assert.Contains($"Run {run.Id}: completed", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_manifest_and_seed_give_identical_metric_series_and_another_seed_does_not()
    {
        string manifest = Manifest("walk.json", Walk());
        Assert.Equal(ExitCodes.Ok, Cli("run", manifest).Code);
        Assert.Equal(ExitCodes.Ok, Cli("run", manifest).Code);
        Assert.Equal(ExitCodes.Ok, Cli("run", manifest, "--seed", "8").Code);

        using RunStore store = RunStore.Open(StorePath);
        var runs = store.ListRuns().OrderBy(r => r.StartedUtc).ThenBy(r => r.Id).ToList();
        double[] Series(RunInfo run, int stage) =>
            [.. store.GetMetrics(run.Id).Single(s => s.Name == "walk/position" && s.StageIndex == stage).Values];
        var seed7 = runs.Where(r => r.Seed == 7).ToList();
        Assert.Equal(2, seed7.Count);
        Assert.Equal(Series(seed7[0], 0), Series(seed7[1], 0));
        Assert.Equal(Series(seed7[0], 1), Series(seed7[1], 1));
        // Stages draw from their own streams, and another run seed moves every stream.
        Assert.NotEqual(Series(seed7[0], 0).Take(5), Series(seed7[0], 1));
        Assert.NotEqual(Series(seed7[0], 0), Series(runs.Single(r => r.Seed == 8), 0));
    }

    [Fact]
    public void A_stage_that_throws_fails_the_run_naming_the_stage_and_the_plugin()
    {
        var (code, output, _) = Cli("run", Manifest("walk.json", Walk(extra: ", \"failAtStep\": 3")));

        Assert.Equal(ExitCodes.Failed, code);
        using RunStore store = RunStore.Open(StorePath);
        RunInfo run = Assert.Single(store.ListRuns());
        Assert.Equal(RunStatus.Failed, run.Status);
        // The message, then (after a blank line) the stack trace the console shows only with --verbose.
        Assert.StartsWith(
            "stage 0 'random-walk' (stage 'random-walk' from plugin 'GoodPlugin') failed: InvalidOperationException: the walk fell over at step 3\n\n",
            run.Error, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Failed, store.GetRun(run.Id)!.Stages.Single().Status);
        Assert.Equal(3, store.GetMetricSeries(run.Id, "walk/position").Count);
        Assert.Contains("failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_manifest_lists_every_problem_exits_2_and_writes_nothing()
    {
        string bad = Walk(steps: -3).Replace("\"counting\"", "\"countin\"", StringComparison.Ordinal);
        var (code, _, error) = Cli("run", Manifest("bad.json", bad));

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("$.task.name: unknown task 'countin'; the tasks are: counting", error, StringComparison.Ordinal);
        Assert.Contains("$.stages[0].steps: must be in [1, 1000000]", error, StringComparison.Ordinal);
        Assert.False(File.Exists(StorePath));
        Assert.False(Directory.Exists(Path.Combine(_dir, "runs")));
    }

    [Fact]
    public async Task Cancelling_stops_at_a_safe_point_and_marks_the_run_cancelled()
    {
        var catalog = PluginCatalog.Load([GoodPlugin], includeBuiltIn: false);
        ManifestResult<PipelineManifest> manifest = ManifestLoader.LoadPipeline(
            Manifest("slow.json", Walk(steps: 1000, extra: ", \"delayMs\": 5")), catalog);
        Assert.True(manifest.IsValid, manifest.FormatErrors());
        using RunStore store = RunStore.Open(StorePath);
        var runner = new PipelineRunner(catalog, store, NullLoggerFactory.Instance, TextWriter.Null);
        using var cts = new CancellationTokenSource();

        // Cancel once the walk has logged a step (read through a second connection), so that the cancellation lands
        // inside the stage however slow the machine is; a fixed delay could fire before the stage starts.
        Task<RunOutcome> running = runner.RunAsync(manifest.Value!, cancellation: cts.Token);
        using (RunStore reader = RunStore.Open(StorePath))
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!running.IsCompleted && waited.Elapsed < TimeSpan.FromSeconds(3)
                && !(reader.ListRuns() is [var run] && reader.GetMetricSeries(run.Id, "walk/position").Count > 0))
            {
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }
        }
        await cts.CancelAsync();
        RunOutcome outcome = await running;

        Assert.Equal(RunStatus.Cancelled, outcome.Status);
        RunDetails details = store.GetRun(outcome.RunId)!;
        Assert.Equal(RunStatus.Cancelled, details.Run.Status);
        Assert.Equal(RunStatus.Cancelled, Assert.Single(details.Stages).Status);
    }

    [Fact]
    public void A_killed_alignfx_process_leaves_a_store_that_opens_with_the_run_incomplete_and_finished_stages_intact()
    {
        string manifest = Manifest("kill.json", """
            { "name": "kill", "seed": 1, "task": "counting", "policy": "parrot",
              "stages": [ { "stage": "random-walk", "steps": 30 },
                          { "stage": "random-walk", "id": "slow", "steps": 100000, "delayMs": 2 } ] }
            """);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "alignfx.dll"), "run", manifest, "--store", StorePath, "--plugins", GoodPlugin },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process child = Process.Start(start)!;
        child.OutputDataReceived += (_, _) => { };
        child.ErrorDataReceived += (_, _) => { };
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        try
        {
            // Wait until the second stage has flushed metrics to the store, then kill the process mid-stage.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!SecondStageHasMetrics())
            {
                Assert.False(child.HasExited, "alignfx exited before it could be killed");
                Assert.True(DateTime.UtcNow < deadline, "the second stage never started");
                Thread.Sleep(100);
            }
        }
        finally
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
        }

        using RunStore store = RunStore.Open(StorePath);
        RunInfo run = Assert.Single(store.ListRuns());
        Assert.Equal(RunStatus.Incomplete, run.Status);
        RunDetails details = store.GetRun(run.Id)!;
        Assert.Equal([RunStatus.Completed, RunStatus.Incomplete], details.Stages.Select(s => s.Status));
        Assert.Equal(30, store.GetMetrics(run.Id).Single(s => s.Name == "walk/position" && s.StageIndex == 0).Values.Count);
        Assert.NotEmpty(store.GetMetrics(run.Id).Single(s => s.Name == "walk/position" && s.StageIndex == 1).Values);
    }

    private bool SecondStageHasMetrics()
    {
        if (!File.Exists(StorePath))
        {
            return false;
        }
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={StorePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM metrics WHERE stage_index = 1";
        try
        {
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return false;  // the schema is still being created
        }
    }
}
