using System.Numerics;
using System.Runtime.Intrinsics;

namespace AlignFx.Tensors.Kernels;

/// <summary>
/// General matrix multiply on row-major matrices: C = alpha * op(A) * op(B) + beta * C,
/// where op(X) is X or its transpose. op(A) is m x k, op(B) is k x n, C is m x n.
/// lda, ldb and ldc are the row strides (in elements) of A, B and C as stored.
/// </summary>
/// <remarks>
/// <para>Products with m*n*k at most <see cref="GemmOptions.DefaultDirectLimit"/> use a direct loop;
/// larger ones use a packed, cache-blocked kernel (AVX-512, AVX2, Vector128 or scalar, the widest
/// the hardware accelerates) threaded over the cores above <see cref="GemmOptions.DefaultThreadingLimit"/>.</para>
/// <para>Numerics: every path reduces each element of C over k in increasing order with one fused
/// multiply-add per term, merging into C after each slice of <see cref="GemmBlocking.KC"/>, so results
/// are bitwise the same on every path, thread count and machine with IEEE FMA. As in BLAS, when beta is
/// 0 C is not read (NaN in C does not propagate), and when alpha is 0 or k is 0 A and B are not read.</para>
/// </remarks>
internal static partial class Gemm
{
    /// <summary>Single-precision GEMM (the training path).</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
        => Multiply(GemmOptions.Default, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>Double-precision GEMM (gradient checks and float64 tensors).</summary>
    public static void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb,
        double beta, Span<double> c, int ldc)
        => Multiply(GemmOptions.Default, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>
    /// GEMM with explicit <paramref name="options"/> (forced kernel path, thread count, direct-path
    /// limit); used by tests and benchmarks. Same contract as <see cref="Sgemm"/>.
    /// </summary>
    public static unsafe void Multiply<T>(in GemmOptions options, bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb,
        T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            var args = new GemmArgs<T>
            {
                TransA = transA, TransB = transB, M = m, N = n, K = k, Alpha = alpha, Beta = beta,
                A = pa, Lda = lda, B = pb, Ldb = ldb, C = pc, Ldc = ldc,
            };
            Dispatch(options, args);
        }
    }

    /// <summary>Picks the scale-only, direct or blocked path for one validated, pinned product.</summary>
    private static void Dispatch<T>(in GemmOptions options, in GemmArgs<T> args)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long work = (long)args.M * args.N * args.K;
        if (args.M == 0 || args.N == 0)
        {
            return;
        }

        if (args.K == 0 || args.Alpha == T.Zero)
        {
            ScaleC(args);
        }
        else if (work <= options.DirectLimit)
        {
            Direct(args);
        }
        else
        {
            int parts = options.Threads > 0 ? options.Threads
                : work >= options.ThreadingLimit ? GemmThreads.MaxParallelism : 1;
            RunBlocked(ResolvePath(options.Path), args, parts);
        }
    }

    /// <summary>The widest kernel path the hardware accelerates.</summary>
    public static GemmPath BestPath { get; } =
        Vector512.IsHardwareAccelerated ? GemmPath.Vector512
        : Vector256.IsHardwareAccelerated ? GemmPath.Vector256
        : Vector128.IsHardwareAccelerated ? GemmPath.Vector128
        : GemmPath.Scalar;

    /// <summary>Whether <paramref name="path"/> runs on hardware SIMD here (otherwise it is emulated and slow).</summary>
    public static bool IsAccelerated(GemmPath path) => path switch
    {
        GemmPath.Vector512 => Vector512.IsHardwareAccelerated,
        GemmPath.Vector256 => Vector256.IsHardwareAccelerated,
        GemmPath.Vector128 => Vector128.IsHardwareAccelerated,
        _ => true,
    };

    private static GemmPath ResolvePath(GemmPath path) => path == GemmPath.Auto ? BestPath : path;

    private static void RunBlocked<T>(GemmPath path, in GemmArgs<T> args, int parts)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (path)
        {
            case GemmPath.Vector512:
                GemmDriver<T, Kernel512<T>>.Run(args, parts);
                break;
            case GemmPath.Vector256:
                GemmDriver<T, Kernel256<T>>.Run(args, parts);
                break;
            case GemmPath.Vector128:
                GemmDriver<T, Kernel128<T>>.Run(args, parts);
                break;
            default:
                GemmDriver<T, KernelScalar<T>>.Run(args, parts);
                break;
        }
    }

    /// <summary>
    /// Small products: a plain loop with the same reduction order and merge as the blocked kernels
    /// (fma over k in increasing order, merged into C every KC terms). Four columns run side by
    /// side so the fma chains overlap instead of waiting on each other's latency.
    /// </summary>
    private static unsafe void Direct<T>(in GemmArgs<T> g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint aRow = g.TransA ? 1 : g.Lda, aCol = g.TransA ? g.Lda : 1;
        nint bRow = g.TransB ? 1 : g.Ldb, bCol = g.TransB ? g.Ldb : 1;
        for (int i = 0; i < g.M; i++)
        {
            T* ai = g.A + i * aRow;
            T* ci = g.C + i * g.Ldc;
            int j = 0;
            for (; j + 4 <= g.N; j += 4)
            {
                T* b0 = g.B + j * bCol;
                T* b1 = b0 + bCol, b2 = b1 + bCol, b3 = b2 + bCol;
                T beta = g.Beta;
                for (int p0 = 0; p0 < g.K; p0 += GemmBlocking.KC)
                {
                    int p1 = Math.Min(g.K, p0 + GemmBlocking.KC);
                    T s0 = T.Zero, s1 = T.Zero, s2 = T.Zero, s3 = T.Zero;
                    for (int p = p0; p < p1; p++)
                    {
                        T x = ai[p * aCol];
                        nint o = p * bRow;
                        s0 = T.FusedMultiplyAdd(x, b0[o], s0);
                        s1 = T.FusedMultiplyAdd(x, b1[o], s1);
                        s2 = T.FusedMultiplyAdd(x, b2[o], s2);
                        s3 = T.FusedMultiplyAdd(x, b3[o], s3);
                    }

                    ci[j] = GemmMath.Merge(s0, g.Alpha, beta, ci[j]);
                    ci[j + 1] = GemmMath.Merge(s1, g.Alpha, beta, ci[j + 1]);
                    ci[j + 2] = GemmMath.Merge(s2, g.Alpha, beta, ci[j + 2]);
                    ci[j + 3] = GemmMath.Merge(s3, g.Alpha, beta, ci[j + 3]);
                    beta = T.One;
                }
            }

            for (; j < g.N; j++)
            {
                T* bj = g.B + j * bCol;
                T beta = g.Beta;
                for (int p0 = 0; p0 < g.K; p0 += GemmBlocking.KC)
                {
                    int p1 = Math.Min(g.K, p0 + GemmBlocking.KC);
                    T acc = T.Zero;
                    for (int p = p0; p < p1; p++)
                    {
                        acc = T.FusedMultiplyAdd(ai[p * aCol], bj[p * bRow], acc);
                    }

                    ci[j] = GemmMath.Merge(acc, g.Alpha, beta, ci[j]);
                    beta = T.One;
                }
            }
        }
    }

    private static unsafe void ScaleC<T>(in GemmArgs<T> g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < g.M; i++)
        {
            var row = new Span<T>(g.C + i * g.Ldc, g.N);
            if (g.Beta == T.Zero)
            {
                row.Clear();
            }
            else if (g.Beta != T.One)
            {
                for (int j = 0; j < row.Length; j++)
                {
                    row[j] *= g.Beta;
                }
            }
        }
    }

    private static void Validate(bool transA, bool transB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        CheckOperand("a", transA ? k : m, transA ? m : k, aLength, lda);
        CheckOperand("b", transB ? n : k, transB ? k : n, bLength, ldb);
        CheckOperand("c", m, n, cLength, ldc);
    }

    private static void CheckOperand(string name, int rows, int cols, int length, int ld)
    {
        if (rows == 0 || cols == 0)
        {
            return;
        }

        if (ld < cols)
        {
            throw new ArgumentOutOfRangeException("ld" + name, ld, $"Leading dimension of {name} must be at least {cols}.");
        }

        if (Extent(rows, cols, ld) > length)
        {
            throw new ArgumentException($"{name} holds {length} elements but a {rows} x {cols} matrix with leading dimension {ld} needs {Extent(rows, cols, ld)}.", name);
        }
    }

    /// <summary>Elements spanned by a rows x cols row-major matrix with row stride ld.</summary>
    private static long Extent(int rows, int cols, int ld) => rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
}

/// <summary>Which micro-kernel family the blocked GEMM uses.</summary>
internal enum GemmPath
{
    /// <summary>The widest path the hardware accelerates (<see cref="Gemm.BestPath"/>).</summary>
    Auto,

    /// <summary>AVX-512 class: 12 x 2 Vector512 tiles.</summary>
    Vector512,

    /// <summary>AVX2/FMA class: 6 x 2 Vector256 tiles.</summary>
    Vector256,

    /// <summary>SSE/NEON class: 6 x 2 Vector128 tiles.</summary>
    Vector128,

    /// <summary>Portable scalar 4 x 4 tiles.</summary>
    Scalar,
}

/// <summary>Knobs for <see cref="Gemm.Multiply{T}"/>; <see cref="Default"/> is what Sgemm/Dgemm use.</summary>
/// <param name="Path">Kernel family; Auto picks the widest accelerated one.</param>
/// <param name="Threads">Parts to split C into; 0 means all cores above <paramref name="ThreadingLimit"/>, else 1.</param>
/// <param name="DirectLimit">Products with m*n*k at most this use the direct loop (negative: never).</param>
/// <param name="ThreadingLimit">m*n*k from which the automatic thread count uses every core.</param>
internal readonly record struct GemmOptions(
    GemmPath Path = GemmPath.Auto,
    int Threads = 0,
    long DirectLimit = GemmOptions.DefaultDirectLimit,
    long ThreadingLimit = GemmOptions.DefaultThreadingLimit)
{
    /// <summary>
    /// Up to this m*n*k the direct loop wins (packing and kernel set-up cost more than they save):
    /// measured 4x4x4 at 40 ns direct vs 105 ns blocked, 8x8x8 even, 12x12x12 580 vs 290 ns.
    /// </summary>
    public const long DefaultDirectLimit = 8 * 8 * 8;

    /// <summary>
    /// From this m*n*k (2 MFLOP, about 10 microseconds of one AVX-512 core) a second thread pays for its
    /// wake-up: measured 64x64x256 at 14.2 us on one thread and 10.6 us on two; 64x64x64 does not gain.
    /// </summary>
    public const long DefaultThreadingLimit = 64 * 64 * 256;

    /// <summary>The settings behind Sgemm and Dgemm.</summary>
    public static GemmOptions Default { get; } = new();
}
