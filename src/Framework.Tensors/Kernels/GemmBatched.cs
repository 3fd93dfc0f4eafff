using System.Numerics;

namespace AlignFx.Tensors.Kernels;

internal static partial class Gemm
{
    /// <summary>
    /// Strided batched GEMM (for bmm / batched matmul): for b in [0, batch),
    /// C_b = alpha * op(A_b) * op(B_b) + beta * C_b, where X_b is the matrix starting at element
    /// b * strideX of X. A stride of 0 reuses one matrix for every batch entry (broadcasting A or B).
    /// </summary>
    /// <remarks>
    /// Batches of small products (attention heads) are spread over the cores a batch entry at a
    /// time; a batch of large products threads inside each product instead. Either way each C_b is
    /// bitwise what <see cref="Sgemm"/> gives for it alone. The C matrices must not overlap.
    /// </remarks>
    public static void SgemmStridedBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, int batch)
        => MultiplyBatched(GemmOptions.Default, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB,
            beta, c, ldc, strideC, batch);

    /// <summary>Double-precision <see cref="SgemmStridedBatched"/>.</summary>
    public static void DgemmStridedBatched(bool transA, bool transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, long strideA, ReadOnlySpan<double> b, int ldb, long strideB,
        double beta, Span<double> c, int ldc, long strideC, int batch)
        => MultiplyBatched(GemmOptions.Default, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB,
            beta, c, ldc, strideC, batch);

    /// <summary><see cref="SgemmStridedBatched"/> with explicit options (tests and benchmarks).</summary>
    public static unsafe void MultiplyBatched<T>(in GemmOptions options, bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, long strideA, ReadOnlySpan<T> b, int ldb, long strideB,
        T beta, Span<T> c, int ldc, long strideC, int batch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(strideA);
        ArgumentOutOfRangeException.ThrowIfNegative(strideB);
        if (batch == 0 || m == 0 || n == 0)
        {
            return;
        }

        long last = batch - 1;
        long cExtent = Extent(m, n, ldc);
        if (batch > 1 && strideC < cExtent)
        {
            throw new ArgumentOutOfRangeException(nameof(strideC), strideC, $"C matrices would overlap: the stride must be at least {cExtent}.");
        }

        // Validate the last entry of each operand (the furthest from the start); the others lie before it.
        Validate(transA, transB, m, n, k,
            RemainingLength(a.Length, strideA * last), lda,
            RemainingLength(b.Length, strideB * last), ldb,
            RemainingLength(c.Length, strideC * last), ldc);

        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            var args = new GemmArgs<T>
            {
                TransA = transA, TransB = transB, M = m, N = n, K = k, Alpha = alpha, Beta = beta,
                A = pa, Lda = lda, B = pb, Ldb = ldb, C = pc, Ldc = ldc,
            };
            long work = (long)m * n * k;
            bool spreadBatch = batch > 1 && options.Threads != 1
                && (options.Threads > 1 || (work < options.ThreadingLimit && work * batch >= options.ThreadingLimit));
            if (!spreadBatch)
            {
                for (int i = 0; i < batch; i++)
                {
                    Dispatch(options, Entry(args, i, (nint)strideA, (nint)strideB, (nint)strideC));
                }

                return;
            }

            BatchJob<T>.Run(options, args, (nint)strideA, (nint)strideB, (nint)strideC, batch);
        }
    }

    private static int RemainingLength(int length, long offset) => (int)Math.Clamp(length - offset, -1, int.MaxValue);

    private static unsafe GemmArgs<T> Entry<T>(GemmArgs<T> args, int index, nint strideA, nint strideB, nint strideC)
        where T : unmanaged
    {
        args.A += index * strideA;
        args.B += index * strideB;
        args.C += index * strideC;
        return args;
    }

    /// <summary>Splits a batch into contiguous ranges of entries, one per core; each entry runs on one thread.</summary>
    private sealed class BatchJob<T> : IGemmJob where T : unmanaged, IFloatingPointIeee754<T>
    {
        private static readonly BatchJob<T> s_shared = new();

        private GemmOptions _options;
        private GemmArgs<T> _args;
        private nint _strideA, _strideB, _strideC;
        private int _batch, _parts;

        public static void Run(in GemmOptions options, in GemmArgs<T> args, nint strideA, nint strideB, nint strideC, int batch)
        {
            int parts = Math.Min(batch, options.Threads > 1 ? options.Threads : GemmThreads.MaxParallelism);
            var single = options with { Threads = 1 };
            if (!Monitor.TryEnter(s_shared))
            {
                // Another thread is running a batch: do this one inline.
                for (int i = 0; i < batch; i++)
                {
                    Dispatch(single, Entry(args, i, strideA, strideB, strideC));
                }

                return;
            }

            try
            {
                s_shared._options = single;
                s_shared._args = args;
                (s_shared._strideA, s_shared._strideB, s_shared._strideC) = (strideA, strideB, strideC);
                (s_shared._batch, s_shared._parts) = (batch, parts);
                GemmThreads.Run(s_shared, parts);
            }
            finally
            {
                Monitor.Exit(s_shared);
            }
        }

        public void Execute(int part)
        {
            int first = (int)((long)_batch * part / _parts);
            int end = (int)((long)_batch * (part + 1) / _parts);
            for (int i = first; i < end; i++)
            {
                Dispatch(_options, Entry(_args, i, _strideA, _strideB, _strideC));
            }
        }
    }
}

internal static partial class Gemm
{
    /// <summary>
    /// Batched GEMM over entries at arbitrary element offsets (batch dims that do not collapse to one stride, such as
    /// attention heads split out of a fused projection): C_i = alpha * op(A_i) * op(B_i) + beta * C_i, where X_i starts
    /// at element offX[i] of X. Spread over the cores like <see cref="MultiplyBatched{T}"/>; each C_i is bitwise what
    /// <see cref="Multiply{T}"/> gives for it alone. The C matrices must not overlap.
    /// </summary>
    public static unsafe void MultiplyBatchedOffsets<T>(in GemmOptions options, bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, int[] offA, ReadOnlySpan<T> b, int ldb, int[] offB,
        T beta, Span<T> c, int ldc, int[] offC)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = offC.Length;
        if (offA.Length != batch || offB.Length != batch)
        {
            throw new ArgumentException("One offset per batch entry for each of A, B and C.");
        }
        if (batch == 0 || m == 0 || n == 0)
        {
            return;
        }
        for (int i = 0; i < batch; i++)
        {
            if (offA[i] < 0 || offB[i] < 0 || offC[i] < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(offC), "Offsets must be non-negative.");
            }
            Validate(transA, transB, m, n, k, a.Length - offA[i], lda, b.Length - offB[i], ldb, c.Length - offC[i], ldc);
        }
        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            var args = new GemmArgs<T>
            {
                TransA = transA, TransB = transB, M = m, N = n, K = k, Alpha = alpha, Beta = beta,
                A = pa, Lda = lda, B = pb, Ldb = ldb, C = pc, Ldc = ldc,
            };
            long work = (long)m * n * k;
            bool spreadBatch = batch > 1 && options.Threads != 1
                && (options.Threads > 1 || (work < options.ThreadingLimit && work * batch >= options.ThreadingLimit));
            if (!spreadBatch)
            {
                for (int i = 0; i < batch; i++)
                {
                    Dispatch(options, At(args, offA[i], offB[i], offC[i]));
                }
                return;
            }
            OffsetBatchJob<T>.Run(options, args, offA, offB, offC);
        }
    }

    private static unsafe GemmArgs<T> At<T>(GemmArgs<T> args, int offA, int offB, int offC)
        where T : unmanaged
    {
        args.A += offA;
        args.B += offB;
        args.C += offC;
        return args;
    }

    /// <summary>Splits a batch given by offsets into contiguous ranges of entries, one per core.</summary>
    private sealed class OffsetBatchJob<T> : IGemmJob where T : unmanaged, IFloatingPointIeee754<T>
    {
        private static readonly OffsetBatchJob<T> s_shared = new();

        private GemmOptions _options;
        private GemmArgs<T> _args;
        private int[] _offA = [], _offB = [], _offC = [];
        private int _parts;

        public static void Run(in GemmOptions options, in GemmArgs<T> args, int[] offA, int[] offB, int[] offC)
        {
            int batch = offC.Length;
            int parts = Math.Min(batch, options.Threads > 1 ? options.Threads : GemmThreads.MaxParallelism);
            var single = options with { Threads = 1 };
            if (!Monitor.TryEnter(s_shared))
            {
                for (int i = 0; i < batch; i++)
                {
                    Dispatch(single, At(args, offA[i], offB[i], offC[i]));
                }
                return;
            }
            try
            {
                s_shared._options = single;
                s_shared._args = args;
                (s_shared._offA, s_shared._offB, s_shared._offC, s_shared._parts) = (offA, offB, offC, parts);
                GemmThreads.Run(s_shared, parts);
            }
            finally
            {
                s_shared._offA = s_shared._offB = s_shared._offC = [];
                Monitor.Exit(s_shared);
            }
        }

        public void Execute(int part)
        {
            int batch = _offC.Length;
            int first = (int)((long)batch * part / _parts);
            int end = (int)((long)batch * (part + 1) / _parts);
            for (int i = first; i < end; i++)
            {
                Dispatch(_options, At(_args, _offA[i], _offB[i], _offC[i]));
            }
        }
    }
}
