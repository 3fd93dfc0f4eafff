using System.Diagnostics;
using AlignFx.Host.Store;
using Probe = AlignFx.StoreKillProbe.Program;

namespace AlignFx.Host.Tests.Store;

/// <summary>A real process is killed in the middle of a stage; the store must open cleanly afterwards.</summary>
public sealed class KillTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task AProcessKilledMidStageLeavesAnIncompleteRunWithItsFinishedStageIntact()
    {
        var probe = Path.Combine(AppContext.BaseDirectory, "StoreKillProbe.dll");
        Assert.True(File.Exists(probe), $"The kill probe was not built next to the tests: {probe}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(probe);
        start.ArgumentList.Add("kill");
        start.ArgumentList.Add(folder.DatabasePath);

        string? ready;
        string errors;
        using (var child = Process.Start(start)!)
        {
            var stderr = child.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            try
            {
                // A generous guard against a hung child, not a timing assertion.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
                timeout.CancelAfter(TimeSpan.FromMinutes(2));
                do
                    ready = await child.StandardOutput.ReadLineAsync(timeout.Token);
                while (ready is not null && !ready.StartsWith("ready ", StringComparison.Ordinal));
            }
            finally
            {
                child.Kill(entireProcessTree: true);
                await child.WaitForExitAsync(TestContext.Current.CancellationToken);
            }
            errors = await stderr;
        }
        Assert.True(ready is not null && ready.StartsWith("ready ", StringComparison.Ordinal), $"The probe did not report ready: '{ready}' {errors}");
        var runId = ready["ready ".Length..];

        Assert.True(File.Exists(folder.DatabasePath + "-wal"), "a killed writer leaves its write-ahead log behind");
        using var store = RunStore.Open(folder.DatabasePath);
        Assert.Equal("ok", StoreTestSupport.Scalar(folder.DatabasePath, "PRAGMA integrity_check;"));
        Assert.Equal(0L, StoreTestSupport.Scalar(folder.DatabasePath, "SELECT COUNT(*) FROM pragma_foreign_key_check;"));
        Assert.Contains(runId, store.RecoveredRunIds);

        var details = store.GetRun(runId)!;
        Assert.Equal(RunStatus.Incomplete, details.Run.Status);
        Assert.Contains("stopped without ending it", details.Run.Error);
        Assert.Equal((1, 3), (details.Run.StagesCompleted, details.Run.StagesTotal));
        Assert.Equal([("pretrain", RunStatus.Completed), ("optimise", RunStatus.Incomplete)], details.Stages.Select(s => (s.Name, s.Status)));
        Assert.NotNull(details.Stages[0].EndedUtc);
        Assert.Null(details.Stages[1].EndedUtc);

        // Every value of the finished stage, exactly.
        foreach (var name in new[] { "loss/lm", "accuracy" })
        {
            Assert.Equal(
                Enumerable.Range(0, Probe.FirstStagePoints).Select(step => new MetricPoint(0, step, Probe.Value(name, step))),
                store.GetMetricSeries(runId, name));
        }

        // The killed stage keeps what it flushed: everything before "ready", then whole batches only (each batch is
        // one transaction), never a torn one.
        var killed = store.GetMetricSeries(runId, "objective/kl");
        Assert.True(killed.Count >= Probe.SecondStageFlushedBeforeReady, $"only {killed.Count} values of the killed stage survived");
        Assert.Equal(0, (killed.Count - Probe.SecondStageFlushedBeforeReady) % Probe.SecondStageBatch);
        Assert.Equal(Enumerable.Range(0, killed.Count).Select(step => new MetricPoint(1, step, Probe.Value("objective/kl", step))), killed);

        // And the store takes new runs.
        using var next = store.BeginRun(new NewRun("after", 1, "{}"));
        next.End(RunStatus.Completed);
    }
}
