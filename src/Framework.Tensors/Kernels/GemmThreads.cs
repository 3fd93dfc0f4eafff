namespace AlignFx.Tensors.Kernels;

/// <summary>A unit of GEMM work split into a fixed number of independent parts.</summary>
internal interface IGemmJob
{
    /// <summary>Runs part <paramref name="part"/> of the job; parts never write the same memory.</summary>
    void Execute(int part);
}

/// <summary>
/// A tiny pool of worker threads for GEMM (one per extra core, started lazily) that spin briefly
/// and then sleep between jobs. Unlike Parallel.For it allocates nothing per call.
/// </summary>
/// <remarks>
/// The split of a job into parts is fixed by the caller; which thread runs a part is not: the
/// caller and the workers claim parts from a shared counter, so a worker that the OS schedules late
/// (a busy machine) costs nothing, as the caller simply runs that part too. Parts are independent
/// and each is computed the same way wherever it runs, so results stay bitwise reproducible.
/// </remarks>
internal static class GemmThreads
{
    private const int SpinIterations = 5_000;

    // Claim word: generation << 16 | parts << 8 | next part. One CAS on it both checks that a job
    // is still the current one and claims its next part, so a late worker cannot touch a newer job
    // with a stale view.
    private const int PartsShift = 8;
    private const long PartMask = 0xFF;
    private const int GenerationShift = 16;

    private static readonly object s_gate = new();
    private static Worker[]? s_workers;
    private static IGemmJob? s_job;
    private static long s_claim;
    private static int s_completed;
    private static Exception? s_failure;

    /// <summary>How many parts can run at once (the number of cores).</summary>
    public static int MaxParallelism { get; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// Runs parts 0..parts-1 of <paramref name="job"/> on the caller and idle workers. When another
    /// caller is using the pool, or only one part is asked for, every part runs on the caller.
    /// </summary>
    public static void Run(IGemmJob job, int parts)
    {
        if (parts <= 1 || parts > PartMask || MaxParallelism == 1 || !Monitor.TryEnter(s_gate))
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
            s_job = job;
            s_failure = null;
            Volatile.Write(ref s_completed, 0);
            long generation = (Volatile.Read(ref s_claim) >> GenerationShift) + 1;
            Volatile.Write(ref s_claim, generation << GenerationShift | (long)parts << PartsShift);
            int wake = Math.Min(parts - 1, workers.Length);
            for (int w = 0; w < wake; w++)
            {
                workers[w].Signal();
            }

            ClaimAndRun(job);

            // A claimed part is running on another core; spin without yielding at first, since a
            // yield on a busy machine can hand the core away for a whole time slice.
            var spinner = new SpinWait();
            for (int spins = 0; Volatile.Read(ref s_completed) != parts; spins++)
            {
                if (spins < SpinIterations * 2)
                {
                    Thread.SpinWait(4);
                }
                else
                {
                    spinner.SpinOnce(sleep1Threshold: -1);
                }
            }

            s_job = null;
            if (s_failure is { } failure)
            {
                throw new AggregateException("A GEMM part failed.", failure);
            }
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
    }

    /// <summary>Claims and runs parts of the current job until none are left.</summary>
    private static void ClaimAndRun(IGemmJob? job)
    {
        while (true)
        {
            long claim = Volatile.Read(ref s_claim);
            long parts = (claim >> PartsShift) & PartMask;
            long next = claim & PartMask;
            if (next >= parts)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref s_claim, claim + 1, claim) != claim)
            {
                continue;
            }

            // The claim succeeded on an unfinished job, so its caller is still waiting and s_job
            // is that job (it is only replaced after every part has completed). Workers re-read
            // it per claim because the next claim may belong to a newer job.
            IGemmJob current = job ?? Volatile.Read(ref s_job)!;
            try
            {
                current.Execute((int)next);
            }
            catch (Exception e)
            {
                s_failure = e;
            }
            finally
            {
                Interlocked.Increment(ref s_completed);
            }

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
        private readonly SemaphoreSlim _wake = new(0);
        private int _signalled;

        public Worker(int index)
        {
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
                // Spin a little first: training issues GEMMs back to back and a sleeping thread
                // takes tens of microseconds to wake.
                for (int i = 0; i < SpinIterations && Volatile.Read(ref _signalled) == 0; i++)
                {
                    Thread.SpinWait(1);
                }

                _wake.Wait();
                Volatile.Write(ref _signalled, 0);
                ClaimAndRun(null);
            }
        }
    }
}
