using System.Diagnostics;
using System.Globalization;
using AlignFx.Host.Store;

namespace AlignFx.StoreKillProbe;

/// <summary>
/// <c>kill DB</c>: records a run whose first stage completes with metrics and whose second stage keeps writing
/// batches of metric values until the process is killed; prints <c>ready RUN-ID</c> once the first stage is stored.
/// <c>bench DB ROWS</c>: times logging and flushing ROWS metric values and prints rows per second.
/// </summary>
public static class Program
{
    /// <summary>Points per series in the kill run's first stage; the test checks each one.</summary>
    public const int FirstStagePoints = 1500;
    /// <summary>Values the second stage flushes before reporting ready.</summary>
    public const int SecondStageFlushedBeforeReady = 250;
    /// <summary>Values per flushed batch after ready; every batch is one transaction.</summary>
    public const int SecondStageBatch = 100;

    /// <summary>Runs the mode the arguments name.</summary>
    public static int Main(string[] args)
    {
        if (args is ["kill", var path])
            return Kill(path);
        if (args is ["bench", var benchPath, var rows])
            return Bench(benchPath, int.Parse(rows, CultureInfo.InvariantCulture));
        Console.Error.WriteLine("usage: StoreKillProbe kill DB | bench DB ROWS");
        return 2;
    }

    /// <summary>The value the kill run logs for a series at a step (the test recomputes it).</summary>
    public static double Value(string name, long step) => name.Length + Math.Sin(step * 0.01) * 1e-3 * step;

    private static int Kill(string path)
    {
        // Flush only where this program says so, so that what survives the kill is predictable.
        var options = new RunStoreOptions { MetricFlushRows = 1_000_000, MetricFlushInterval = TimeSpan.FromHours(1) };
        var store = RunStore.Open(path, options);
        var run = store.BeginRun(new NewRun("kill-probe", 7, """{ "name": "kill-probe" }""") { PlannedStages = 3 });
        run.BeginStage("pretrain");
        for (var step = 0; step < FirstStagePoints; step++)
        {
            run.LogMetric("loss/lm", step, Value("loss/lm", step));
            run.LogMetric("accuracy", step, Value("accuracy", step));
            if (step == FirstStagePoints / 2)
                run.Flush();
        }
        run.EndStage();
        run.BeginStage("optimise");
        for (var step = 0; step < SecondStageFlushedBeforeReady; step++)
            run.LogMetric("objective/kl", step, Value("objective/kl", step));
        run.Flush();
        Console.Out.WriteLine($"ready {run.RunId}");
        Console.Out.Flush();
        for (long step = SecondStageFlushedBeforeReady; ; step++)
        {
            run.LogMetric("objective/kl", step, Value("objective/kl", step));
            if ((step + 1 - SecondStageFlushedBeforeReady) % SecondStageBatch == 0)
            {
                run.Flush();
                Thread.Sleep(1); // keep the file small if the killer is slow
            }
        }
    }

    private static int Bench(string path, int rows)
    {
        using var store = RunStore.Open(path, new RunStoreOptions { MetricFlushInterval = TimeSpan.FromHours(1) });
        var run = store.BeginRun(new NewRun("bench", 0, "{}"));
        run.BeginStage("bench");
        var names = new[] { "objective/kl", "objective/entropy", "loss/policy_avg", "loss/value_avg", "gold/reward" };
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < rows; i++)
            run.LogMetric(names[i % names.Length], i / names.Length, i * 0.5);
        run.EndStage();
        clock.Stop();
        run.End(RunStatus.Completed);
        var stored = store.GetMetrics(run.RunId).Sum(s => s.Steps.Count);
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{rows} rows logged and flushed in {clock.Elapsed.TotalMilliseconds:F0} ms ({rows / clock.Elapsed.TotalSeconds:F0} rows/s, batch {new RunStoreOptions().MetricFlushRows}); {stored} rows read back"));
        return stored == rows ? 0 : 1;
    }
}
