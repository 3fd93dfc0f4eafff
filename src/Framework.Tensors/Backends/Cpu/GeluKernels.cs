using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace AlignFx.Tensors.Backends.Cpu;

/// <summary>
/// Vectorised float32 GELU kernels: each block of elements goes through a short chain of TensorPrimitives passes
/// that stay in cache. The exact GELU uses the Abramowitz–Stegun 7.1.26 erf (absolute error below 1.5e-7, the
/// float32 rounding level), the same formula as the scalar float path.
/// </summary>
internal static class GeluKernels
{
    private const int Block = 1024;
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float InvSqrt2Pi = 0.39894228040143268f;

    /// <summary>Writes erf(|x|/sqrt 2) into e and exp(-x^2/2) into ex for one block.</summary>
    private static void ErfAbsAndGauss(ReadOnlySpan<float> x, Span<float> erfAbs, Span<float> gauss, Span<float> t)
    {
        // a = |x| / sqrt 2 (held in gauss for now)
        TP.Abs(x, gauss);
        TP.Multiply(gauss, InvSqrt2, gauss);
        // t = 1 / (1 + p a)
        TP.Multiply(gauss, 0.3275911f, t);
        TP.Add(t, 1f, t);
        TP.Reciprocal(t, t);
        // poly(t) by Horner
        TP.Multiply(t, 1.061405429f, erfAbs);
        TP.Add(erfAbs, -1.453152027f, erfAbs);
        TP.Multiply(erfAbs, t, erfAbs);
        TP.Add(erfAbs, 1.421413741f, erfAbs);
        TP.Multiply(erfAbs, t, erfAbs);
        TP.Add(erfAbs, -0.284496736f, erfAbs);
        TP.Multiply(erfAbs, t, erfAbs);
        TP.Add(erfAbs, 0.254829592f, erfAbs);
        TP.Multiply(erfAbs, t, erfAbs);
        // gauss = exp(-a^2) = exp(-x^2 / 2)
        TP.Multiply(gauss, gauss, gauss);
        TP.Negate(gauss, gauss);
        TP.Exp(gauss, gauss);
        // erf(a) = 1 - poly * exp(-a^2)
        TP.Multiply(erfAbs, gauss, erfAbs);
        TP.Subtract(1f, erfAbs, erfAbs);
    }

    /// <summary>d = x Phi(x).</summary>
    /// <remarks>
    /// The same arithmetic as <see cref="ErfForwardReference"/>, element for element and in the same order (every
    /// multiply, add and divide is one IEEE float32 operation, no fused multiply-add), but in two vector passes over
    /// each block instead of two dozen TensorPrimitives passes; the exponential is still TensorPrimitives.Exp over
    /// the same block spans, so its vector and tail paths see the same elements. Bitwise equal to the reference
    /// (tested on random and special values).
    /// </remarks>
    public static void ErfForward(ReadOnlySpan<float> x, Span<float> d)
    {
        Span<float> e = stackalloc float[Block];
        Span<float> g = stackalloc float[Block];
        for (int s = 0; s < x.Length; s += Block)
        {
            int n = Math.Min(Block, x.Length - s);
            var xs = x.Slice(s, n);
            var en = e[..n];
            var gn = g[..n];
            PolyAndGaussArgument(xs, en, gn);
            TP.Exp(gn, gn);
            Combine(xs, en, gn, d.Slice(s, n));
        }
    }

    /// <summary>
    /// e = poly(t) t with t = 1 / (1 + p |x|/sqrt 2) (Abramowitz–Stegun 7.1.26, Horner), g = -(|x|/sqrt 2)^2.
    /// </summary>
    private static void PolyAndGaussArgument(ReadOnlySpan<float> x, Span<float> e, Span<float> g)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float er = ref MemoryMarshal.GetReference(e);
            ref float gr = ref MemoryMarshal.GetReference(g);
            var sign = Vector256.Create(-0f);
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var a = Vector256.Abs(Vector256.LoadUnsafe(ref xr, (nuint)i)) * InvSqrt2;
                var t = Vector256<float>.One / (a * 0.3275911f + Vector256<float>.One);
                var p = t * 1.061405429f;
                p = p + Vector256.Create(-1.453152027f);
                p = p * t;
                p = p + Vector256.Create(1.421413741f);
                p = p * t;
                p = p + Vector256.Create(-0.284496736f);
                p = p * t;
                p = p + Vector256.Create(0.254829592f);
                p = p * t;
                p.StoreUnsafe(ref er, (nuint)i);
                Vector256.Xor(a * a, sign).StoreUnsafe(ref gr, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            float a = MathF.Abs(x[i]) * InvSqrt2;
            float t = 1f / (a * 0.3275911f + 1f);
            float p = t * 1.061405429f;
            p = p + -1.453152027f;
            p = p * t;
            p = p + 1.421413741f;
            p = p * t;
            p = p + -0.284496736f;
            p = p * t;
            p = p + 0.254829592f;
            p = p * t;
            e[i] = p;
            g[i] = -(a * a);
        }
    }

    /// <summary>d = 0.5 x (1 + copysign(1 - e g, x)), g holding exp(-x^2/2).</summary>
    private static void Combine(ReadOnlySpan<float> x, ReadOnlySpan<float> e, ReadOnlySpan<float> g, Span<float> d)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float er = ref MemoryMarshal.GetReference(e);
            ref float gr = ref MemoryMarshal.GetReference(g);
            ref float dr = ref MemoryMarshal.GetReference(d);
            var sign = Vector256.Create(-0f);
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var xv = Vector256.LoadUnsafe(ref xr, (nuint)i);
                var erf = Vector256<float>.One - Vector256.LoadUnsafe(ref er, (nuint)i) * Vector256.LoadUnsafe(ref gr, (nuint)i);
                erf = Vector256.ConditionalSelect(sign, xv, erf);
                ((erf + Vector256<float>.One) * xv * 0.5f).StoreUnsafe(ref dr, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            float erf = MathF.CopySign(1f - e[i] * g[i], x[i]);
            d[i] = (erf + 1f) * x[i] * 0.5f;
        }
    }

    /// <summary>The former d = x Phi(x): one TensorPrimitives pass per operation (kept as the tests' reference).</summary>
    internal static void ErfForwardReference(ReadOnlySpan<float> x, Span<float> d)
    {
        Span<float> e = stackalloc float[Block];
        Span<float> g = stackalloc float[Block];
        Span<float> t = stackalloc float[Block];
        for (int s = 0; s < x.Length; s += Block)
        {
            int n = Math.Min(Block, x.Length - s);
            var xs = x.Slice(s, n);
            var en = e[..n];
            ErfAbsAndGauss(xs, en, g[..n], t[..n]);
            TP.CopySign(en, xs, en);
            TP.Add(en, 1f, en);
            TP.Multiply(en, xs, en);
            TP.Multiply(en, 0.5f, d.Slice(s, n));
        }
    }

    /// <summary>d = grad * (Phi(x) + x phi(x)).</summary>
    public static void ErfBackward(ReadOnlySpan<float> grad, ReadOnlySpan<float> x, Span<float> d)
    {
        Span<float> e = stackalloc float[Block];
        Span<float> g = stackalloc float[Block];
        Span<float> t = stackalloc float[Block];
        for (int s = 0; s < x.Length; s += Block)
        {
            int n = Math.Min(Block, x.Length - s);
            var xs = x.Slice(s, n);
            var en = e[..n];
            var gn = g[..n];
            ErfAbsAndGauss(xs, en, gn, t[..n]);
            TP.CopySign(en, xs, en);
            // cdf = 0.5 (1 + erf)
            TP.Add(en, 1f, en);
            TP.Multiply(en, 0.5f, en);
            // + x * exp(-x^2/2) / sqrt(2 pi)
            TP.Multiply(gn, xs, gn);
            TP.MultiplyAdd(gn, InvSqrt2Pi, en, en);
            TP.Multiply(en, grad.Slice(s, n), d.Slice(s, n));
        }
    }

    /// <summary>d = grad * d/dx [0.5 x (1 + tanh(c0 (x + 0.044715 x^3)))].</summary>
    public static void TanhBackward(ReadOnlySpan<float> grad, ReadOnlySpan<float> x, Span<float> d)
    {
        const float c0 = 0.7978845608028654f, c1 = 0.035677408136300125f;
        Span<float> x2 = stackalloc float[Block];
        Span<float> th = stackalloc float[Block];
        Span<float> dn = stackalloc float[Block];
        for (int s = 0; s < x.Length; s += Block)
        {
            int n = Math.Min(Block, x.Length - s);
            var xs = x.Slice(s, n);
            var sq = x2[..n];
            var tn = th[..n];
            var di = dn[..n];
            TP.Multiply(xs, xs, sq);
            // th = tanh(x (c0 + c1 x^2)); di = c0 + 3 c1 x^2
            TP.Multiply(sq, c1, tn);
            TP.Add(tn, c0, tn);
            TP.Multiply(tn, xs, tn);
            TP.Tanh(tn, tn);
            TP.Multiply(sq, 3 * c1, di);
            TP.Add(di, c0, di);
            // r = 0.5 (1 + th) + 0.5 x (1 - th^2) di
            TP.Multiply(tn, tn, sq);
            TP.Subtract(1f, sq, sq);
            TP.Multiply(sq, di, sq);
            TP.Multiply(sq, xs, sq);
            TP.Add(sq, tn, sq);
            TP.Add(sq, 1f, sq);
            TP.Multiply(sq, 0.5f, sq);
            TP.Multiply(sq, grad.Slice(s, n), d.Slice(s, n));
        }
    }
}
