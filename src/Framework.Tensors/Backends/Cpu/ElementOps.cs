using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace AlignFx.Tensors.Backends.Cpu;

/// <summary>An elementwise function of one operand: a scalar form for strided loops and a span form for contiguous runs.</summary>
internal interface IUnaryOp<T>
{
    T Apply(T x);

    void Apply(ReadOnlySpan<T> x, Span<T> d);
}

/// <summary>An elementwise function of two operands with span, span-scalar and scalar-span forms.</summary>
internal interface IBinaryOp<T>
{
    T Apply(T a, T b);

    void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d);

    void Apply(ReadOnlySpan<T> a, T b, Span<T> d);

    void Apply(T a, ReadOnlySpan<T> b, Span<T> d);
}

/// <summary>Scalar fallbacks for ops with no vectorised form.</summary>
internal static class Loop
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unary<T, TOp>(TOp op, ReadOnlySpan<T> x, Span<T> d) where TOp : struct, IUnaryOp<T>
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = op.Apply(x[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Binary<T, TOp>(TOp op, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) where TOp : struct, IBinaryOp<T>
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = op.Apply(a[i], b[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Binary<T, TOp>(TOp op, ReadOnlySpan<T> a, T b, Span<T> d) where TOp : struct, IBinaryOp<T>
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = op.Apply(a[i], b);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Binary<T, TOp>(TOp op, T a, ReadOnlySpan<T> b, Span<T> d) where TOp : struct, IBinaryOp<T>
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = op.Apply(a, b[i]);
        }
    }
}

// ---- arithmetic on any number type (float, double, long) ----

internal struct AddOp<T> : IBinaryOp<T> where T : INumber<T>
{
    public readonly T Apply(T a, T b) => a + b;
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Add(a, b, d);
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Add(a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Add(b, a, d);
}

internal struct SubOp<T> : IBinaryOp<T> where T : INumber<T>
{
    public readonly T Apply(T a, T b) => a - b;
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Subtract(a, b, d);
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Subtract(a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Subtract(a, b, d);
}

internal struct MulOp<T> : IBinaryOp<T> where T : INumber<T>
{
    public readonly T Apply(T a, T b) => a * b;
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Multiply(a, b, d);
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Multiply(a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Multiply(b, a, d);
}

internal struct DivOp<T> : IBinaryOp<T> where T : INumber<T>
{
    public readonly T Apply(T a, T b) => a / b;
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Divide(a, b, d);
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Divide(a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Divide(a, b, d);
}

internal struct MaximumOp<T> : IBinaryOp<T> where T : INumber<T>
{
    public readonly T Apply(T a, T b) => T.Max(a, b);
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Max(a, b, d);
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Max(a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Max(b, a, d);
}

internal struct MinimumOp<T> : IBinaryOp<T> where T : INumber<T>
{
    public readonly T Apply(T a, T b) => T.Min(a, b);
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Min(a, b, d);
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Min(a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Min(b, a, d);
}

/// <summary>d = a + alpha * b.</summary>
internal struct AddScaledOp<T>(T alpha) : IBinaryOp<T> where T : INumber<T>
{
    public readonly T Apply(T a, T b) => a + alpha * b;
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.MultiplyAdd(b, alpha, a, d);
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Add(a, alpha * b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d)
    {
        TP.Multiply(b, alpha, d);
        TP.Add(d, a, d);
    }
}

/// <summary>Copies the second operand (used by copy_ with broadcasting).</summary>
internal struct SecondOp<T> : IBinaryOp<T>
{
    public readonly T Apply(T a, T b) => b;
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => b.CopyTo(d);
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => d.Fill(b);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => b.CopyTo(d);
}

internal struct NegOp<T> : IUnaryOp<T> where T : INumber<T>
{
    public readonly T Apply(T x) => -x;
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d) => TP.Negate(x, d);
}

internal struct AbsOp<T> : IUnaryOp<T> where T : INumber<T>
{
    public readonly T Apply(T x) => T.Abs(x);
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d) => TP.Abs(x, d);
}

internal struct AddScalarOp<T>(T s) : IUnaryOp<T> where T : INumber<T>
{
    public readonly T Apply(T x) => x + s;
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d) => TP.Add(x, s, d);
}

internal struct MulScalarOp<T>(T s) : IUnaryOp<T> where T : INumber<T>
{
    public readonly T Apply(T x) => x * s;
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d) => TP.Multiply(x, s, d);
}

/// <summary>d = s - x.</summary>
internal struct RSubScalarOp<T>(T s) : IUnaryOp<T> where T : INumber<T>
{
    public readonly T Apply(T x) => s - x;
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d) => TP.Subtract(s, x, d);
}

/// <summary>d = s / x.</summary>
internal struct RDivScalarOp<T>(T s) : IUnaryOp<T> where T : INumber<T>
{
    public readonly T Apply(T x) => s / x;
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d) => TP.Divide(s, x, d);
}

internal struct ClampOp<T>(T lo, T hi) : IUnaryOp<T> where T : INumber<T>
{
    public readonly T Apply(T x) => T.Min(T.Max(x, lo), hi);
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d)
    {
        TP.Max(x, lo, d);
        TP.Min(d, hi, d);
    }
}

internal struct SignOp<T> : IUnaryOp<T> where T : INumber<T>
{
    public readonly T Apply(T x) => x > T.Zero ? T.One : x < T.Zero ? -T.One : T.Zero;
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d) => Loop.Unary(this, x, d);
}

internal struct IdentityOp<T> : IUnaryOp<T>
{
    public readonly T Apply(T x) => x;
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d) => x.CopyTo(d);
}

// ---- floating point functions ----

internal struct PowOp<T> : IBinaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T a, T b) => T.Pow(a, b);
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TP.Pow(a, b, d);
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TP.Pow(a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TP.Pow(a, b, d);
}

internal struct ExpOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T x) => T.Exp(x);
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d) => TP.Exp(x, d);
}

/// <summary>e^x by the C library's exp (Math.Exp, MathF.Exp) element by element, never the vectorised approximation.</summary>
internal struct ExpLibmOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T x) => T.Exp(x);

    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d)
    {
        for (int i = 0; i < x.Length; i++)
        {
            d[i] = T.Exp(x[i]);
        }
    }
}

internal struct LogOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T x) => T.Log(x);
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d) => TP.Log(x, d);
}

internal struct SqrtOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T x) => T.Sqrt(x);
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d) => TP.Sqrt(x, d);
}

internal struct RsqrtOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T x) => T.One / T.Sqrt(x);
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d)
    {
        TP.Sqrt(x, d);
        TP.Divide(T.One, d, d);
    }
}

internal struct TanhOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T x) => T.Tanh(x);
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d) => TP.Tanh(x, d);
}

internal struct SigmoidOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T x) => T.One / (T.One + T.Exp(-x));
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d) => TP.Sigmoid(x, d);
}

internal struct ReluOp<T> : IUnaryOp<T> where T : INumber<T>
{
    public readonly T Apply(T x) => x > T.Zero ? x : T.Zero;
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d) => TP.Max(x, T.Zero, d);
}

internal struct PowScalarOp<T>(T p) : IUnaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T x) => p == T.CreateTruncating(2) ? x * x : T.Pow(x, p);
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d)
    {
        if (p == T.CreateTruncating(2))
        {
            TP.Multiply(x, x, d);
        }
        else if (p == T.One)
        {
            x.CopyTo(d);
        }
        else
        {
            TP.Pow(x, p, d);
        }
    }
}

/// <summary>softplus(x) = log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|)) so it never overflows.</summary>
internal struct SoftplusOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T x) => T.Max(x, T.Zero) + T.LogP1(T.Exp(-T.Abs(x)));
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d) => Loop.Unary(this, x, d);
}

/// <summary>logsigmoid(x) = min(x, 0) - log1p(exp(-|x|)).</summary>
internal struct LogSigmoidOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T x) => T.Min(x, T.Zero) - T.LogP1(T.Exp(-T.Abs(x)));
    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d) => Loop.Unary(this, x, d);
}

/// <summary>GELU with the tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).</summary>
internal struct GeluTanhOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T x)
    {
        T c0 = T.CreateTruncating(0.7978845608028654), c1 = T.CreateTruncating(0.035677408136300125);
        T half = T.CreateTruncating(0.5);
        return half * x * (T.One + T.Tanh(x * (c0 + c1 * x * x)));
    }

    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d)
    {
        if (x.Overlaps(d))
        {
            Loop.Unary(this, x, d);
            return;
        }
        T c0 = T.CreateTruncating(0.7978845608028654), c1 = T.CreateTruncating(0.035677408136300125);
        TP.Multiply(x, x, d);
        TP.Multiply(d, c1, d);
        TP.Add(d, c0, d);
        TP.Multiply(d, x, d);
        TP.Tanh(d, d);
        TP.Add(d, T.One, d);
        TP.Multiply(d, x, d);
        TP.Multiply(d, T.CreateTruncating(0.5), d);
    }
}

/// <summary>Exact GELU: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)).</summary>
internal struct GeluErfOp<T> : IUnaryOp<T> where T : struct, IFloatingPointIeee754<T>
{
    public readonly T Apply(T x) => T.CreateTruncating(0.5) * x * (T.One + Special.Erf(x * T.CreateTruncating(0.7071067811865476)));

    public readonly void Apply(ReadOnlySpan<T> x, Span<T> d)
    {
        if (typeof(T) == typeof(float) && !x.Overlaps(d))
        {
            GeluKernels.ErfForward(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(d));
            return;
        }
        Loop.Unary(this, x, d);
    }
}

// ---- backward helpers: (grad, saved) -> grad_input ----

/// <summary>g where x &gt; 0, else 0.</summary>
internal struct ReluGradOp<T> : IBinaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T g, T x) => x > T.Zero ? g : T.Zero;
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => Loop.Binary(this, a, b, d);
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => Loop.Binary(this, a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => Loop.Binary(this, a, b, d);
}

/// <summary>g * y * (1 - y) with y = sigmoid(x).</summary>
internal struct SigmoidGradOp<T> : IBinaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T g, T y) => g * y * (T.One - y);
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d)
    {
        if (d.Overlaps(a) || d.Overlaps(b))
        {
            Loop.Binary(this, a, b, d);
            return;
        }
        TP.Subtract(T.One, b, d);
        TP.Multiply(d, b, d);
        TP.Multiply(d, a, d);
    }
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => Loop.Binary(this, a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => Loop.Binary(this, a, b, d);
}

/// <summary>g * (1 - y^2) with y = tanh(x).</summary>
internal struct TanhGradOp<T> : IBinaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T g, T y) => g * (T.One - y * y);
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d)
    {
        if (d.Overlaps(a) || d.Overlaps(b))
        {
            Loop.Binary(this, a, b, d);
            return;
        }
        TP.Multiply(b, b, d);
        TP.Subtract(T.One, d, d);
        TP.Multiply(d, a, d);
    }
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => Loop.Binary(this, a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => Loop.Binary(this, a, b, d);
}

/// <summary>g * sigmoid(x): the derivative of softplus.</summary>
internal struct SoftplusGradOp<T> : IBinaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T g, T x) => g / (T.One + T.Exp(-x));
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => Loop.Binary(this, a, b, d);
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => Loop.Binary(this, a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => Loop.Binary(this, a, b, d);
}

/// <summary>g * sigmoid(-x): the derivative of logsigmoid.</summary>
internal struct LogSigmoidGradOp<T> : IBinaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T g, T x) => g / (T.One + T.Exp(x));
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => Loop.Binary(this, a, b, d);
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => Loop.Binary(this, a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => Loop.Binary(this, a, b, d);
}

/// <summary>g * sign(x): the derivative of abs.</summary>
internal struct AbsGradOp<T> : IBinaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T g, T x) => x > T.Zero ? g : x < T.Zero ? -g : T.Zero;
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => Loop.Binary(this, a, b, d);
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => Loop.Binary(this, a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => Loop.Binary(this, a, b, d);
}

/// <summary>g where lo &lt;= x &lt;= hi, else 0.</summary>
internal struct ClampGradOp<T>(T lo, T hi) : IBinaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T g, T x) => x >= lo && x <= hi ? g : T.Zero;
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => Loop.Binary(this, a, b, d);
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => Loop.Binary(this, a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => Loop.Binary(this, a, b, d);
}

/// <summary>g * p * x^(p-1): the derivative of x^p.</summary>
internal struct PowScalarGradOp<T>(T p) : IBinaryOp<T> where T : IFloatingPointIeee754<T>
{
    public readonly T Apply(T g, T x) => p == T.CreateTruncating(2) ? g * (x + x) : g * p * T.Pow(x, p - T.One);
    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => Loop.Binary(this, a, b, d);
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => Loop.Binary(this, a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => Loop.Binary(this, a, b, d);
}

/// <summary>Derivative of tanh-approximated GELU times g.</summary>
internal struct GeluTanhGradOp<T> : IBinaryOp<T> where T : struct, IFloatingPointIeee754<T>
{
    public readonly T Apply(T g, T x)
    {
        T c0 = T.CreateTruncating(0.7978845608028654), c1 = T.CreateTruncating(0.035677408136300125);
        T half = T.CreateTruncating(0.5);
        T x2 = x * x;
        T th = T.Tanh(x * (c0 + c1 * x2));
        T dinner = c0 + T.CreateTruncating(3) * c1 * x2;
        return g * (half * (T.One + th) + half * x * (T.One - th * th) * dinner);
    }

    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d)
    {
        if (typeof(T) == typeof(float))
        {
            GeluKernels.TanhBackward(MemoryMarshal.Cast<T, float>(a), MemoryMarshal.Cast<T, float>(b), MemoryMarshal.Cast<T, float>(d));
            return;
        }
        Loop.Binary(this, a, b, d);
    }
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => Loop.Binary(this, a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => Loop.Binary(this, a, b, d);
}

/// <summary>Derivative of exact GELU times g: Phi(x) + x phi(x).</summary>
internal struct GeluErfGradOp<T> : IBinaryOp<T> where T : struct, IFloatingPointIeee754<T>
{
    public readonly T Apply(T g, T x)
    {
        T cdf = T.CreateTruncating(0.5) * (T.One + Special.Erf(x * T.CreateTruncating(0.7071067811865476)));
        T pdf = T.CreateTruncating(0.3989422804014327) * T.Exp(T.CreateTruncating(-0.5) * x * x);
        return g * (cdf + x * pdf);
    }

    public readonly void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d)
    {
        if (typeof(T) == typeof(float))
        {
            GeluKernels.ErfBackward(MemoryMarshal.Cast<T, float>(a), MemoryMarshal.Cast<T, float>(b), MemoryMarshal.Cast<T, float>(d));
            return;
        }
        Loop.Binary(this, a, b, d);
    }
    public readonly void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => Loop.Binary(this, a, b, d);
    public readonly void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => Loop.Binary(this, a, b, d);
}

/// <summary>Special functions .NET lacks.</summary>
internal static class Special
{
    public static T Erf<T>(T x) where T : IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? T.CreateTruncating(ErfFloat(float.CreateTruncating(x))) : T.CreateTruncating(Erf(double.CreateTruncating(x)));

    /// <summary>erf to about 1e-7 (Abramowitz and Stegun 7.1.26), enough for float32.</summary>
    public static float ErfFloat(float x)
    {
        float ax = MathF.Abs(x);
        float t = 1f / (1f + 0.3275911f * ax);
        float y = 1f - (((((1.061405429f * t - 1.453152027f) * t) + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t * MathF.Exp(-ax * ax);
        return x < 0 ? -y : y;
    }

    /// <summary>
    /// erf to double precision: the Maclaurin series below 2.5, the continued fraction for erfc above
    /// (both converge fast there), so finite-difference checks in float64 see a smooth function.
    /// </summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        double r;
        if (ax < 2.5)
        {
            // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
            double x2 = ax * ax, term = ax, sum = ax;
            for (int n = 1; n < 100; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum))
                {
                    break;
                }
            }
            r = sum * 1.1283791670955126;
        }
        else if (ax > 6)
        {
            r = 1.0;
        }
        else
        {
            // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated bottom-up.
            double f = ax;
            for (int k = 60; k >= 1; k--)
            {
                f = ax + k * 0.5 / f;
            }
            r = 1.0 - Math.Exp(-ax * ax) / (f * 1.7724538509055159);
        }
        return x < 0 ? -r : r;
    }
}
