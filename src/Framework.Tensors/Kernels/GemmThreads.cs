namespace AlignFx.Tensors.Kernels;

/// <summary>A unit of GEMM work split into a fixed number of independent parts.</summary>
internal interface IGemmJob
{
    /// <summary>Runs part <paramref name="part"/> of the job; parts never write the same memory.</summary>
    void Execute(int part);
}

/// <summary>
/// A tiny pool of worker threads for GEMM and the elementwise and row-wise kernels (<c>Par.For</c>; one thread per
/// extra core, started lazily) that sleep between jobs. Unlike Parallel.For it allocates nothing per call and
/// keeps one set of threads warm for every kernel.
/// </summary>
/// <remarks>
/// The split of a job into parts is fixed by the caller; which thread runs a part is not: the
/// caller and the workers claim parts from a shared counter, so a worker that the OS schedules late
/// (a busy machine) costs nothing, as the caller simply runs that part too. Parts are independent
/// and each is computed the same way wherever it runs, so results stay bitwise reproducible.
/// Neither the workers nor the caller busy-wait for long: a worker spinning between jobs holds a
/// core that the caller's own non-GEMM work, or another process, needs. Measured with two test
/// processes sharing two cores, as CI runs them: a 5,000-iteration spin made both about 30% slower,
/// against about 5% more sampling throughput for one process alone.
/// </remarks>
internal static class GemmThreads
{
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

    // Set while this thread runs parts of a job: a job's part that itself asks for threads (a GEMM inside a
    // Par.For part) runs inline instead of re-entering the gate, which Monitor would let the caller do.
    [ThreadStatic]
    private static bool t_inJob;

    /// <summary>How many parts can run at once (the number of cores).</summary>
    public static int MaxParallelism { get; } = Math.Max(1, Environment.ProcessorCount);

    private static int s_limit = MaxParallelism;

    /// <summary>
    /// How many threads (the caller included) may run one job's parts: every core until <c>torch.set_num_threads</c>
    /// caps it. Jobs keep their partition whatever the cap, so results do not change with it.
    /// </summary>
    public static int Limit
    {
        get => s_limit;
        set => s_limit = Math.Max(1, value);
    }

    /// <summary>
    /// Runs parts 0..parts-1 of <paramref name="job"/> on the caller and idle workers. When another
    /// caller is using the pool, or only one part is asked for, every part runs on the caller.
    /// </summary>
    public static void Run(IGemmJob job, int parts)
    {
        if (parts <= 1 || parts > PartMask || MaxParallelism == 1 || Limit == 1 || t_inJob || !Monitor.TryEnter(s_gate))
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
            int wake = Math.Min(parts - 1, Math.Min(workers.Length, Limit - 1));
            for (int w = 0; w < wake; w++)
            {
                workers[w].Signal();
            }

            t_inJob = true;
            try
            {
                ClaimAndRun(job);
            }
            finally
            {
                t_inJob = false;
            }

            // A claimed part is running on another core: spin briefly, then yield (never sleep, which
            // would cost a millisecond).
            var spinner = new SpinWait();
            while (Volatile.Read(ref s_completed) != parts)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
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

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"AlignFx GEMM worker {index}" };
            thread.Start();
        }

        public void Signal() => _wake.Release();

        private void Loop()
        {
            while (true)
            {
                // SemaphoreSlim spins briefly itself before it blocks.
                _wake.Wait();
                t_inJob = true;
                ClaimAndRun(null);
                t_inJob = false;
            }
        }
    }
}
