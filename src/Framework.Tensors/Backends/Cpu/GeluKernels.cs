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
    public static void ErfForward(ReadOnlySpan<float> x, Span<float> d)
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
