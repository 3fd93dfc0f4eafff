using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlignFx.Tensors.Kernels;

/// <summary>
/// A register-blocked GEMM micro-kernel: it multiplies a packed MR x kc panel of A by a packed
/// kc x NR panel of B and merges the MR x NR result into C.
/// </summary>
/// <remarks>
/// Packed layouts: A holds MR values per k step (one column of the panel), B holds NR values per
/// k step (one row of the panel). Every kernel accumulates each element of C with one fused
/// multiply-add per k step in increasing k, and merges with <see cref="GemmMath"/>'s formula, so
/// all kernels produce bitwise the same numbers.
/// </remarks>
internal interface IGemmKernel<T> where T : unmanaged
{
    /// <summary>Rows of C computed per call.</summary>
    static abstract int MR { get; }

    /// <summary>Columns of C computed per call.</summary>
    static abstract int NR { get; }

    /// <summary>
    /// C[0..MR, 0..NR] = alpha * (A panel x B panel) + beta * C, where beta = 0 means C is
    /// not read.
    /// </summary>
    static abstract unsafe void Run(nint kc, T* a, T* b, T* c, nint ldc, T alpha, T beta);
}

/// <summary>Scalar and vector helpers shared by the kernels so they round identically.</summary>
internal static class GemmMath
{
    /// <summary>
    /// Asks for a C tile (rows x bytesPerRow) to be brought into L1 while the k loop runs, so the
    /// merge at the end does not stall on cache misses (C rows of big products are far apart).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void PrefetchTile(void* c, nint ldcBytes, int rows, int bytesPerRow)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        byte* row = (byte*)c;
        for (int r = 0; r < rows; r++)
        {
            for (int offset = 0; offset < bytesPerRow; offset += 64)
            {
                Sse.Prefetch0(row + offset);
            }

            // The last byte too, in case the row straddles one more cache line.
            Sse.Prefetch0(row + bytesPerRow - 1);
            row += ldcBytes;
        }
    }

    /// <summary>The merge every path uses: alpha * acc when beta is 0, else fma(acc, alpha, beta * c).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Merge<T>(T acc, T alpha, T beta, T c) where T : unmanaged, IFloatingPointIeee754<T>
        => beta == T.Zero ? acc * alpha : T.FusedMultiplyAdd(acc, alpha, beta * c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Fma<T>(Vector512<T> x, Vector512<T> y, Vector512<T> z)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        }

        return Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Fma<T>(Vector256<T> x, Vector256<T> y, Vector256<T> z)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector256.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        }

        return Vector256.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Fma<T>(Vector128<T> x, Vector128<T> y, Vector128<T> z)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector128.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        }

        return Vector128.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Merge<T>(T* c, Vector512<T> acc, Vector512<T> alpha, Vector512<T> beta, bool readC)
        where T : unmanaged
    {
        if (readC)
        {
            Vector512.Store(Fma(acc, alpha, beta * Vector512.Load(c)), c);
        }
        else
        {
            Vector512.Store(acc * alpha, c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Merge<T>(T* c, Vector256<T> acc, Vector256<T> alpha, Vector256<T> beta, bool readC)
        where T : unmanaged
    {
        if (readC)
        {
            Vector256.Store(Fma(acc, alpha, beta * Vector256.Load(c)), c);
        }
        else
        {
            Vector256.Store(acc * alpha, c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Merge<T>(T* c, Vector128<T> acc, Vector128<T> alpha, Vector128<T> beta, bool readC)
        where T : unmanaged
    {
        if (readC)
        {
            Vector128.Store(Fma(acc, alpha, beta * Vector128.Load(c)), c);
        }
        else
        {
            Vector128.Store(acc * alpha, c);
        }
    }
}

/// <summary>AVX-512 kernel: 12 rows x 2 Vector512 columns (12 x 32 floats, 12 x 16 doubles), 24 accumulators.</summary>
internal readonly struct Kernel512<T> : IGemmKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 12;

    public static int NR => 2 * Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run(nint kc, T* a, T* b, T* c, nint ldc, T alpha, T beta)
    {
        int w = Vector512<T>.Count;
        GemmMath.PrefetchTile(c, ldc * sizeof(T), 12, 2 * Vector512<byte>.Count);
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<T> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<T> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<T> c60 = default, c61 = default, c70 = default, c71 = default;
        Vector512<T> c80 = default, c81 = default, c90 = default, c91 = default;
        Vector512<T> ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        for (nint p = 0; p < kc; p++)
        {
            Vector512<T> b0 = Vector512.Load(b);
            Vector512<T> b1 = Vector512.Load(b + w);
            Vector512<T> x = Vector512.Create(a[0]);
            c00 = GemmMath.Fma(x, b0, c00);
            c01 = GemmMath.Fma(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = GemmMath.Fma(x, b0, c10);
            c11 = GemmMath.Fma(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = GemmMath.Fma(x, b0, c20);
            c21 = GemmMath.Fma(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = GemmMath.Fma(x, b0, c30);
            c31 = GemmMath.Fma(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = GemmMath.Fma(x, b0, c40);
            c41 = GemmMath.Fma(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = GemmMath.Fma(x, b0, c50);
            c51 = GemmMath.Fma(x, b1, c51);
            x = Vector512.Create(a[6]);
            c60 = GemmMath.Fma(x, b0, c60);
            c61 = GemmMath.Fma(x, b1, c61);
            x = Vector512.Create(a[7]);
            c70 = GemmMath.Fma(x, b0, c70);
            c71 = GemmMath.Fma(x, b1, c71);
            x = Vector512.Create(a[8]);
            c80 = GemmMath.Fma(x, b0, c80);
            c81 = GemmMath.Fma(x, b1, c81);
            x = Vector512.Create(a[9]);
            c90 = GemmMath.Fma(x, b0, c90);
            c91 = GemmMath.Fma(x, b1, c91);
            x = Vector512.Create(a[10]);
            ca0 = GemmMath.Fma(x, b0, ca0);
            ca1 = GemmMath.Fma(x, b1, ca1);
            x = Vector512.Create(a[11]);
            cb0 = GemmMath.Fma(x, b0, cb0);
            cb1 = GemmMath.Fma(x, b1, cb1);
            a += 12;
            b += 2 * w;
        }

        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        bool readC = beta != T.Zero;
        GemmMath.Merge(c, c00, va, vb, readC);
        GemmMath.Merge(c + w, c01, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c10, va, vb, readC);
        GemmMath.Merge(c + w, c11, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c20, va, vb, readC);
        GemmMath.Merge(c + w, c21, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c30, va, vb, readC);
        GemmMath.Merge(c + w, c31, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c40, va, vb, readC);
        GemmMath.Merge(c + w, c41, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c50, va, vb, readC);
        GemmMath.Merge(c + w, c51, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c60, va, vb, readC);
        GemmMath.Merge(c + w, c61, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c70, va, vb, readC);
        GemmMath.Merge(c + w, c71, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c80, va, vb, readC);
        GemmMath.Merge(c + w, c81, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c90, va, vb, readC);
        GemmMath.Merge(c + w, c91, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, ca0, va, vb, readC);
        GemmMath.Merge(c + w, ca1, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, cb0, va, vb, readC);
        GemmMath.Merge(c + w, cb1, va, vb, readC);
    }
}

/// <summary>AVX2/FMA kernel: 6 rows x 2 Vector256 columns (6 x 16 floats), 12 accumulators (fits 16 registers).</summary>
internal readonly struct Kernel256<T> : IGemmKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 6;

    public static int NR => 2 * Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run(nint kc, T* a, T* b, T* c, nint ldc, T alpha, T beta)
    {
        int w = Vector256<T>.Count;
        GemmMath.PrefetchTile(c, ldc * sizeof(T), 6, 2 * Vector256<byte>.Count);
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<T> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector256<T> c40 = default, c41 = default, c50 = default, c51 = default;
        for (nint p = 0; p < kc; p++)
        {
            Vector256<T> b0 = Vector256.Load(b);
            Vector256<T> b1 = Vector256.Load(b + w);
            Vector256<T> x = Vector256.Create(a[0]);
            c00 = GemmMath.Fma(x, b0, c00);
            c01 = GemmMath.Fma(x, b1, c01);
            x = Vector256.Create(a[1]);
            c10 = GemmMath.Fma(x, b0, c10);
            c11 = GemmMath.Fma(x, b1, c11);
            x = Vector256.Create(a[2]);
            c20 = GemmMath.Fma(x, b0, c20);
            c21 = GemmMath.Fma(x, b1, c21);
            x = Vector256.Create(a[3]);
            c30 = GemmMath.Fma(x, b0, c30);
            c31 = GemmMath.Fma(x, b1, c31);
            x = Vector256.Create(a[4]);
            c40 = GemmMath.Fma(x, b0, c40);
            c41 = GemmMath.Fma(x, b1, c41);
            x = Vector256.Create(a[5]);
            c50 = GemmMath.Fma(x, b0, c50);
            c51 = GemmMath.Fma(x, b1, c51);
            a += 6;
            b += 2 * w;
        }

        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        bool readC = beta != T.Zero;
        GemmMath.Merge(c, c00, va, vb, readC);
        GemmMath.Merge(c + w, c01, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c10, va, vb, readC);
        GemmMath.Merge(c + w, c11, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c20, va, vb, readC);
        GemmMath.Merge(c + w, c21, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c30, va, vb, readC);
        GemmMath.Merge(c + w, c31, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c40, va, vb, readC);
        GemmMath.Merge(c + w, c41, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c50, va, vb, readC);
        GemmMath.Merge(c + w, c51, va, vb, readC);
    }
}

/// <summary>Vector128 kernel (SSE / NEON class machines): 6 rows x 2 Vector128 columns, 12 accumulators.</summary>
internal readonly struct Kernel128<T> : IGemmKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 6;

    public static int NR => 2 * Vector128<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Run(nint kc, T* a, T* b, T* c, nint ldc, T alpha, T beta)
    {
        int w = Vector128<T>.Count;
        Vector128<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector128<T> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector128<T> c40 = default, c41 = default, c50 = default, c51 = default;
        for (nint p = 0; p < kc; p++)
        {
            Vector128<T> b0 = Vector128.Load(b);
            Vector128<T> b1 = Vector128.Load(b + w);
            Vector128<T> x = Vector128.Create(a[0]);
            c00 = GemmMath.Fma(x, b0, c00);
            c01 = GemmMath.Fma(x, b1, c01);
            x = Vector128.Create(a[1]);
            c10 = GemmMath.Fma(x, b0, c10);
            c11 = GemmMath.Fma(x, b1, c11);
            x = Vector128.Create(a[2]);
            c20 = GemmMath.Fma(x, b0, c20);
            c21 = GemmMath.Fma(x, b1, c21);
            x = Vector128.Create(a[3]);
            c30 = GemmMath.Fma(x, b0, c30);
            c31 = GemmMath.Fma(x, b1, c31);
            x = Vector128.Create(a[4]);
            c40 = GemmMath.Fma(x, b0, c40);
            c41 = GemmMath.Fma(x, b1, c41);
            x = Vector128.Create(a[5]);
            c50 = GemmMath.Fma(x, b0, c50);
            c51 = GemmMath.Fma(x, b1, c51);
            a += 6;
            b += 2 * w;
        }

        var va = Vector128.Create(alpha);
        var vb = Vector128.Create(beta);
        bool readC = beta != T.Zero;
        GemmMath.Merge(c, c00, va, vb, readC);
        GemmMath.Merge(c + w, c01, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c10, va, vb, readC);
        GemmMath.Merge(c + w, c11, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c20, va, vb, readC);
        GemmMath.Merge(c + w, c21, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c30, va, vb, readC);
        GemmMath.Merge(c + w, c31, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c40, va, vb, readC);
        GemmMath.Merge(c + w, c41, va, vb, readC);
        c += ldc;
        GemmMath.Merge(c, c50, va, vb, readC);
        GemmMath.Merge(c + w, c51, va, vb, readC);
    }
}

/// <summary>Portable scalar kernel: 4 x 4 with scalar fused multiply-adds (same rounding as the vector kernels).</summary>
internal readonly struct KernelScalar<T> : IGemmKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 4;

    public static int NR => 4;

    public static unsafe void Run(nint kc, T* a, T* b, T* c, nint ldc, T alpha, T beta)
    {
        T c00 = T.Zero, c01 = T.Zero, c02 = T.Zero, c03 = T.Zero;
        T c10 = T.Zero, c11 = T.Zero, c12 = T.Zero, c13 = T.Zero;
        T c20 = T.Zero, c21 = T.Zero, c22 = T.Zero, c23 = T.Zero;
        T c30 = T.Zero, c31 = T.Zero, c32 = T.Zero, c33 = T.Zero;
        for (nint p = 0; p < kc; p++)
        {
            T b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            T x = a[0];
            c00 = T.FusedMultiplyAdd(x, b0, c00);
            c01 = T.FusedMultiplyAdd(x, b1, c01);
            c02 = T.FusedMultiplyAdd(x, b2, c02);
            c03 = T.FusedMultiplyAdd(x, b3, c03);
            x = a[1];
            c10 = T.FusedMultiplyAdd(x, b0, c10);
            c11 = T.FusedMultiplyAdd(x, b1, c11);
            c12 = T.FusedMultiplyAdd(x, b2, c12);
            c13 = T.FusedMultiplyAdd(x, b3, c13);
            x = a[2];
            c20 = T.FusedMultiplyAdd(x, b0, c20);
            c21 = T.FusedMultiplyAdd(x, b1, c21);
            c22 = T.FusedMultiplyAdd(x, b2, c22);
            c23 = T.FusedMultiplyAdd(x, b3, c23);
            x = a[3];
            c30 = T.FusedMultiplyAdd(x, b0, c30);
            c31 = T.FusedMultiplyAdd(x, b1, c31);
            c32 = T.FusedMultiplyAdd(x, b2, c32);
            c33 = T.FusedMultiplyAdd(x, b3, c33);
            a += 4;
            b += 4;
        }

        MergeRow(c, c00, c01, c02, c03, alpha, beta);
        MergeRow(c + ldc, c10, c11, c12, c13, alpha, beta);
        MergeRow(c + 2 * ldc, c20, c21, c22, c23, alpha, beta);
        MergeRow(c + 3 * ldc, c30, c31, c32, c33, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void MergeRow(T* c, T x0, T x1, T x2, T x3, T alpha, T beta)
    {
        c[0] = GemmMath.Merge(x0, alpha, beta, c[0]);
        c[1] = GemmMath.Merge(x1, alpha, beta, c[1]);
        c[2] = GemmMath.Merge(x2, alpha, beta, c[2]);
        c[3] = GemmMath.Merge(x3, alpha, beta, c[3]);
    }
}
