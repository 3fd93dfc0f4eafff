using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using AlignFx.Host.Tests.Store;

namespace AlignFx.Host.Tests.Runner;

/// <summary>The run's in-memory metric history (what report stages read) agrees with what the store recorded.</summary>
public sealed class RunMetricsTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void History_matches_the_store_series_and_names_the_stage_of_each_value()
    {
        using var store = RunStore.Open(folder.DatabasePath);
        using RunRecorder recorder = store.BeginRun(new NewRun("history", 1, "{}"));
        var metrics = new RunMetrics(recorder);
        metrics.Log("objective/kl", 0.5, 0);
        recorder.BeginStage("ppo", "optimise");
        metrics.SetStage(0, "optimise");
        metrics.Log("objective/kl", 1.5, 1);
        metrics.Log("gold/accuracy", 0.25, 1);
        metrics.Log("objective/kl", 2.5, 2);
        recorder.EndStage();
        metrics.SetStage(-1, "");
        recorder.End(RunStatus.Completed);

        Assert.Equal(["objective/kl", "gold/accuracy"], metrics.Names);
        var kl = metrics.Read("objective/kl");
        Assert.Equal([(-1, "", 0L, 0.5), (0, "optimise", 1L, 1.5), (0, "optimise", 2L, 2.5)],
            kl.Select(p => (p.Stage, p.StageId, p.Step, p.Value)));
        // The store orders by stage (run-level values last) and step; the history keeps logging order.
        Assert.Equal(store.GetMetricSeries(recorder.RunId, "objective/kl").OrderBy(p => p.Step).Select(p => (p.Step, p.Value)),
            kl.Select(p => (p.Step, p.Value)));
        Assert.Empty(metrics.Read("never/logged"));
    }
}
