namespace AlignFx.Tensors.Kernels;

/// <summary>A unit of GEMM work split into a fixed number of independent parts.</summary>
internal interface IGemmJob
{
    /// <summary>Runs part <paramref name="part"/> of the job; parts never write the same memory.</summary>
    void Execute(int part);
}

/// <summary>
/// A tiny fixed pool of worker threads for GEMM: one per extra core, started lazily, that spin
/// briefly and then sleep between jobs. Unlike Parallel.For it allocates nothing per call and
/// always runs part p of a job on the same kind of thread with the same split, so results do
/// not depend on scheduling.
/// </summary>
internal static class GemmThreads
{
    private const int SpinIterations = 20_000;

    private static readonly object s_gate = new();
    private static Worker[]? s_workers;
    private static IGemmJob? s_job;
    private static int s_parts;
    private static int s_pending;
    private static Exception? s_failure;

    /// <summary>How many parts a job can run at once (the number of cores).</summary>
    public static int MaxParallelism { get; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// Runs parts 0..parts-1 of <paramref name="job"/>: part 0 on the caller and the rest on workers.
    /// When another caller is already using the pool (or parts is 1) every part runs on the caller,
    /// which gives the same result because parts are independent.
    /// </summary>
    public static void Run(IGemmJob job, int parts)
    {
        if (parts <= 1 || MaxParallelism == 1 || !Monitor.TryEnter(s_gate))
        {
            for (int p = 0; p < parts; p++)
            {
                job.Execute(p);
            }

            return;
        }

        try
        {
            Worker[] workers = s_workers ??= StartWorkers();
            int used = Math.Min(parts - 1, workers.Length);
            s_job = job;
            s_parts = parts;
            s_failure = null;
            Volatile.Write(ref s_pending, used);
            for (int w = 0; w < used; w++)
            {
                workers[w].Signal();
            }

            // The caller takes part 0 and any parts beyond the worker count (same static split each call).
            for (int p = 0; p < parts; p += used + 1)
            {
                job.Execute(p);
            }

            var spinner = new SpinWait();
            while (Volatile.Read(ref s_pending) != 0)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            s_job = null;
            if (s_failure is { } failure)
            {
                throw new AggregateException("A GEMM worker failed.", failure);
            }
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
    }

    private static Worker[] StartWorkers()
    {
        var workers = new Worker[MaxParallelism - 1];
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = new Worker(i + 1);
        }

        return workers;
    }

    private sealed class Worker
    {
        private readonly int _index;
        private readonly SemaphoreSlim _wake = new(0);
        private int _signalled;

        public Worker(int index)
        {
            _index = index;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"AlignFx GEMM worker {index}" };
            thread.Start();
        }

        public void Signal()
        {
            Volatile.Write(ref _signalled, 1);
            _wake.Release();
        }

        private void Loop()
        {
            while (true)
            {
                // Spin a little first: training issues GEMMs back to back and a sleeping thread takes
                // tens of microseconds to wake.
                for (int i = 0; i < SpinIterations && Volatile.Read(ref _signalled) == 0; i++)
                {
                    Thread.SpinWait(1);
                }

                _wake.Wait();
                Volatile.Write(ref _signalled, 0);
                try
                {
                    int stride = Math.Min(s_parts - 1, MaxParallelism - 1) + 1;
                    for (int p = _index; p < s_parts; p += stride)
                    {
                        s_job!.Execute(p);
                    }
                }
                catch (Exception e)
                {
                    s_failure = e;
                }
                finally
                {
                    Interlocked.Decrement(ref s_pending);
                }
            }
        }
    }
}
