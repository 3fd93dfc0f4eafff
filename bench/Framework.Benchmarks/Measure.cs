using System.Diagnostics;

namespace AlignFx.Benchmarks;

/// <summary>Timing helpers: warm up, then time batches and report the median seconds per call.</summary>
internal static class Measure
{
    /// <summary>Target length of one timed batch, long enough to swamp timer resolution.</summary>
    private static readonly TimeSpan BatchTarget = TimeSpan.FromMilliseconds(40);

    /// <summary>
    /// Pause between batches of different actions. OpenBLAS worker threads busy-wait for about a
    /// tenth of a second after each call (and ours spin briefly), which would steal the cores from
    /// whichever side runs next.
    /// </summary>
    private static readonly TimeSpan CoolDown = TimeSpan.FromMilliseconds(150);

    /// <summary>
    /// Times <paramref name="actions"/> side by side: each round runs a batch of every action in
    /// turn, so slow drifts of the machine hit them alike. Returns the median (or, with
    /// <paramref name="minimum"/>, the fastest) seconds per call of each.
    /// </summary>
    public static double[] Seconds(int rounds, bool minimum, params Action[] actions)
    {
        var iterations = new int[actions.Length];
        for (int i = 0; i < actions.Length; i++)
        {
            // Warm-up (JIT, pools, worker threads, caches), then size the batch from one timed call.
            actions[i]();
            actions[i]();
            long start = Stopwatch.GetTimestamp();
            actions[i]();
            double once = Stopwatch.GetElapsedTime(start).TotalSeconds;
            iterations[i] = (int)Math.Clamp(BatchTarget.TotalSeconds / Math.Max(once, 1e-7), 1, 100_000);
        }

        var samples = new double[actions.Length][];
        for (int i = 0; i < actions.Length; i++)
        {
            samples[i] = new double[rounds];
        }

        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < actions.Length; i++)
            {
                if (actions.Length > 1)
                {
                    Thread.Sleep(CoolDown);
                }

                long start = Stopwatch.GetTimestamp();
                for (int n = 0; n < iterations[i]; n++)
                {
                    actions[i]();
                }

                samples[i][r] = Stopwatch.GetElapsedTime(start).TotalSeconds / iterations[i];
            }
        }

        return [.. samples.Select(minimum ? (Func<double[], double>)(x => x.Min()) : Median)];
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
