using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlignFx.Tensors.Kernels;

/// <summary>Packing helpers for the blocked GEMM.</summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Transposing copy: <paramref name="rows"/> source rows of <paramref name="kb"/> contiguous
    /// values (row stride <paramref name="ld"/>) become kb packed steps of <paramref name="width"/>
    /// values, dst[p * width + r] = src[r * ld + p], with rows..width zero-filled.
    /// </summary>
    /// <remarks>
    /// Scalar strided stores cost several nanoseconds per element here (each step of a panel is a
    /// different cache line), so floats go through 4 x 4 SSE register transposes.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose<T>(T* src, nint ld, int rows, int kb, int width, T* dst) where T : unmanaged
    {
        int r = 0;
        if (typeof(T) == typeof(float) && Sse.IsSupported)
        {
            for (; r + 4 <= rows; r += 4)
            {
                Transpose4Rows((float*)src + r * ld, ld, kb, width, (float*)dst + r);
            }
        }

        for (; r < rows; r++)
        {
            T* s = src + r * ld;
            T* d = dst + r;
            for (int p = 0; p < kb; p++)
            {
                d[(nint)p * width] = s[p];
            }
        }

        if (rows < width)
        {
            for (int p = 0; p < kb; p++)
            {
                new Span<T>(dst + (nint)p * width + rows, width - rows).Clear();
            }
        }
    }

    /// <summary>
    /// Non-transposing pack: source row p holds <paramref name="total"/> contiguous values (row
    /// stride <paramref name="ld"/>) that are dealt into panels of <paramref name="width"/>:
    /// dst[t * width * kb + p * width + r] = src[p * ld + t * width + r], zero past total.
    /// </summary>
    /// <remarks>
    /// Panel by panel: each panel is written front to back. (Row by row reads the source more
    /// sequentially but writes dozens of panel streams at once, and measured 20% slower overall.)
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CopySteps<T>(T* src, nint ld, int total, int kb, int width, T* dst) where T : unmanaged
    {
        for (int t = 0; t < total; t += width)
        {
            int count = Math.Min(width, total - t);
            T* row = src + t;
            T* step = dst + (nint)t * kb;
            for (int p = 0; p < kb; p++)
            {
                CopyStep(row, count, width, step);
                row += ld;
                step += width;
            }
        }
    }

    /// <summary>
    /// Copies <paramref name="count"/> values and zero-fills up to <paramref name="width"/>: one packed
    /// step of a panel whose source is contiguous. Inline vector moves beat a memmove call at these
    /// lengths (one call per k step would cost more than the copy).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyStep<T>(T* src, int count, int width, T* dst) where T : unmanaged
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<T>.Count <= count; i += Vector512<T>.Count)
            {
                Vector512.Store(Vector512.Load(src + i), dst + i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<T>.Count <= count; i += Vector256<T>.Count)
            {
                Vector256.Store(Vector256.Load(src + i), dst + i);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + Vector128<T>.Count <= count; i += Vector128<T>.Count)
            {
                Vector128.Store(Vector128.Load(src + i), dst + i);
            }
        }

        for (; i < count; i++)
        {
            dst[i] = src[i];
        }

        for (; i < width; i++)
        {
            dst[i] = default;
        }
    }

    private static void Transpose4Rows(float* s0, nint ld, int kb, int width, float* d)
    {
        float* s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld;
        int p = 0;
        for (; p + 4 <= kb; p += 4)
        {
            Vector128<float> a0 = Sse.LoadVector128(s0 + p);
            Vector128<float> a1 = Sse.LoadVector128(s1 + p);
            Vector128<float> a2 = Sse.LoadVector128(s2 + p);
            Vector128<float> a3 = Sse.LoadVector128(s3 + p);
            Vector128<float> t0 = Sse.UnpackLow(a0, a1);
            Vector128<float> t1 = Sse.UnpackHigh(a0, a1);
            Vector128<float> t2 = Sse.UnpackLow(a2, a3);
            Vector128<float> t3 = Sse.UnpackHigh(a2, a3);
            float* o = d + (nint)p * width;
            Sse.Store(o, Sse.MoveLowToHigh(t0, t2));
            Sse.Store(o + width, Sse.MoveHighToLow(t2, t0));
            Sse.Store(o + 2 * width, Sse.MoveLowToHigh(t1, t3));
            Sse.Store(o + 3 * width, Sse.MoveHighToLow(t3, t1));
        }

        for (; p < kb; p++)
        {
            float* o = d + (nint)p * width;
            o[0] = s0[p];
            o[1] = s1[p];
            o[2] = s2[p];
            o[3] = s3[p];
        }
    }
}
