using System.Numerics;
using static AlignFx.Tensors.torch;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace AlignFx.Tensors.Backends.Cpu;

/// <summary>The embedded CPU backend: pooled managed arrays, TensorPrimitives kernels, the shared GEMM.</summary>
internal sealed partial class CpuBackend : IBackend
{
    private CpuBackend()
    {
    }

    public static CpuBackend Instance { get; } = new();

    public Storage Allocate(ScalarType dtype, int numel) => dtype switch
    {
        ScalarType.Float32 => new CpuStorage<float>(dtype, numel),
        ScalarType.Float64 => new CpuStorage<double>(dtype, numel),
        ScalarType.Int64 => new CpuStorage<long>(dtype, numel),
        _ => new CpuStorage<bool>(dtype, numel),
    };

    /// <summary>A fresh contiguous tensor outside autograd.</summary>
    internal static Tensor NewTensor(int[] shape, ScalarType dtype) => Tensor.Empty(shape, dtype, CPU);

    /// <summary>A contiguous copy of x when it is not already contiguous (caller disposes it when it differs from x).</summary>
    internal static Tensor Contig(Tensor x)
    {
        if (x.is_contiguous())
        {
            return x;
        }
        var c = NewTensor(x.shapeI, x.dtype);
        Instance.Copy(x, c);
        return c;
    }

    public void Fill(Tensor dst, double value)
    {
        switch (dst.dtype)
        {
            case ScalarType.Float32: FillT(dst, (float)value); break;
            case ScalarType.Float64: FillT(dst, value); break;
            case ScalarType.Int64: FillT(dst, (long)value); break;
            default: FillT(dst, value != 0); break;
        }
    }

    private static void FillT<T>(Tensor dst, T v) where T : unmanaged
    {
        var d = dst.Raw<T>();
        if (dst.is_contiguous())
        {
            d.AsSpan(dst.offset, dst.numelI).Fill(v);
            return;
        }
        var w = new Walker(dst.shapeI, [dst.offset], dst.stridesI);
        for (int i = 0; i < dst.numelI; i++, w.Next())
        {
            d[w.Off[0]] = v;
        }
    }

    public void Copy(Tensor src, Tensor dst)
    {
        if (src.Storage is not CpuStorage<float> and not CpuStorage<double> and not CpuStorage<long> and not CpuStorage<bool>)
        {
            // From another backend's memory: that backend knows how to read it.
            src.Backend.Copy(src, dst);
            return;
        }
        var srcStrides = Shapes.BroadcastStrides(src.shapeI, src.stridesI, dst.shapeI);
        if (src.dtype == dst.dtype)
        {
            switch (dst.dtype)
            {
                case ScalarType.Float32: Strided.Unary(new IdentityOp<float>(), src.Raw<float>(), src.offset, srcStrides, dst.Raw<float>(), dst.offset, dst.stridesI, dst.shapeI); break;
                case ScalarType.Float64: Strided.Unary(new IdentityOp<double>(), src.Raw<double>(), src.offset, srcStrides, dst.Raw<double>(), dst.offset, dst.stridesI, dst.shapeI); break;
                case ScalarType.Int64: Strided.Unary(new IdentityOp<long>(), src.Raw<long>(), src.offset, srcStrides, dst.Raw<long>(), dst.offset, dst.stridesI, dst.shapeI); break;
                default: Strided.Unary(new IdentityOp<bool>(), src.Raw<bool>(), src.offset, srcStrides, dst.Raw<bool>(), dst.offset, dst.stridesI, dst.shapeI); break;
            }
            return;
        }
        // Conversions are not hot: one walker, read as double (or long), write converted.
        var w = new Walker(dst.shapeI, [dst.offset, src.offset], dst.stridesI, srcStrides);
        for (int i = 0; i < dst.numelI; i++, w.Next())
        {
            int od = w.Off[0], os = w.Off[1];
            if (src.dtype == ScalarType.Int64 && dst.dtype != ScalarType.Bool)
            {
                long v = src.Raw<long>()[os];
                if (dst.dtype == ScalarType.Float32)
                {
                    dst.Raw<float>()[od] = v;
                }
                else
                {
                    dst.Raw<double>()[od] = v;
                }
                continue;
            }
            double x = src.dtype switch
            {
                ScalarType.Float32 => src.Raw<float>()[os],
                ScalarType.Float64 => src.Raw<double>()[os],
                ScalarType.Int64 => src.Raw<long>()[os],
                _ => src.Raw<bool>()[os] ? 1 : 0,
            };
            switch (dst.dtype)
            {
                case ScalarType.Float32: dst.Raw<float>()[od] = (float)x; break;
                case ScalarType.Float64: dst.Raw<double>()[od] = x; break;
                case ScalarType.Int64: dst.Raw<long>()[od] = (long)x; break;
                default: dst.Raw<bool>()[od] = x != 0; break;
            }
        }
    }

    public void Unary(UnaryOp op, Tensor x, Tensor dst, double p0 = 0, double p1 = 0)
    {
        switch (x.dtype)
        {
            case ScalarType.Float32: UnaryF<float>(op, x, dst, p0, p1); break;
            case ScalarType.Float64: UnaryF<double>(op, x, dst, p0, p1); break;
            case ScalarType.Int64: UnaryN<long>(op, x, dst, p0, p1); break;
            default: throw new NotSupportedException($"{op} is not defined for {x.dtype} tensors.");
        }
    }

    private static void Run<T, TOp>(TOp op, Tensor x, Tensor dst) where T : unmanaged where TOp : struct, IUnaryOp<T> =>
        Strided.Unary(op, x.Raw<T>(), x.offset, Shapes.BroadcastStrides(x.shapeI, x.stridesI, dst.shapeI), dst.Raw<T>(), dst.offset, dst.stridesI, dst.shapeI);

    private static void UnaryN<T>(UnaryOp op, Tensor x, Tensor dst, double p0, double p1) where T : unmanaged, INumber<T>
    {
        T s0 = T.CreateTruncating(p0);
        switch (op)
        {
            case UnaryOp.Identity: Run<T, IdentityOp<T>>(default, x, dst); break;
            case UnaryOp.Neg: Run<T, NegOp<T>>(default, x, dst); break;
            case UnaryOp.Abs: Run<T, AbsOp<T>>(default, x, dst); break;
            case UnaryOp.Sign: Run<T, SignOp<T>>(default, x, dst); break;
            case UnaryOp.Relu: Run<T, ReluOp<T>>(default, x, dst); break;
            case UnaryOp.AddScalar: Run<T, AddScalarOp<T>>(new(s0), x, dst); break;
            case UnaryOp.MulScalar: Run<T, MulScalarOp<T>>(new(s0), x, dst); break;
            case UnaryOp.RSubScalar: Run<T, RSubScalarOp<T>>(new(s0), x, dst); break;
            case UnaryOp.RDivScalar: Run<T, RDivScalarOp<T>>(new(s0), x, dst); break;
            case UnaryOp.Clamp: Run<T, ClampOp<T>>(new(Sat<T>(p0), Sat<T>(p1)), x, dst); break;
            default: throw new NotSupportedException($"{op} is not defined for {x.dtype} tensors.");
        }
    }

    private static T Sat<T>(double v) where T : INumber<T> => T.CreateSaturating(v);

    private static void UnaryF<T>(UnaryOp op, Tensor x, Tensor dst, double p0, double p1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T s0 = T.CreateTruncating(p0);
        switch (op)
        {
            case UnaryOp.Exp: Run<T, ExpOp<T>>(default, x, dst); break;
            case UnaryOp.ExpLibm: Run<T, ExpLibmOp<T>>(default, x, dst); break;
            case UnaryOp.Log: Run<T, LogOp<T>>(default, x, dst); break;
            case UnaryOp.Sqrt: Run<T, SqrtOp<T>>(default, x, dst); break;
            case UnaryOp.Rsqrt: Run<T, RsqrtOp<T>>(default, x, dst); break;
            case UnaryOp.Tanh: Run<T, TanhOp<T>>(default, x, dst); break;
            case UnaryOp.Sigmoid: Run<T, SigmoidOp<T>>(default, x, dst); break;
            case UnaryOp.GeluTanh: Run<T, GeluTanhOp<T>>(default, x, dst); break;
            case UnaryOp.GeluErf: Run<T, GeluErfOp<T>>(default, x, dst); break;
            case UnaryOp.Softplus: Run<T, SoftplusOp<T>>(default, x, dst); break;
            case UnaryOp.LogSigmoid: Run<T, LogSigmoidOp<T>>(default, x, dst); break;
            case UnaryOp.PowScalar: Run<T, PowScalarOp<T>>(new(s0), x, dst); break;
            default: UnaryN<T>(op, x, dst, p0, p1); break;
        }
    }

    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor dst, double p0 = 0)
    {
        switch (dst.dtype)
        {
            case ScalarType.Float32: BinaryF<float>(op, a, b, dst, p0); break;
            case ScalarType.Float64: BinaryF<double>(op, a, b, dst, p0); break;
            case ScalarType.Int64: BinaryN<long>(op, a, b, dst, p0); break;
            default: throw new NotSupportedException($"{op} is not defined for {dst.dtype} tensors.");
        }
    }

    private static void Run2<T, TOp>(TOp op, Tensor a, Tensor b, Tensor dst) where T : unmanaged where TOp : struct, IBinaryOp<T> =>
        Strided.Binary(op,
            a.Raw<T>(), a.offset, Shapes.BroadcastStrides(a.shapeI, a.stridesI, dst.shapeI),
            b.Raw<T>(), b.offset, Shapes.BroadcastStrides(b.shapeI, b.stridesI, dst.shapeI),
            dst.Raw<T>(), dst.offset, dst.stridesI, dst.shapeI);

    private static void BinaryN<T>(BinaryOp op, Tensor a, Tensor b, Tensor dst, double p0) where T : unmanaged, INumber<T>
    {
        switch (op)
        {
            case BinaryOp.Add: Run2<T, AddOp<T>>(default, a, b, dst); break;
            case BinaryOp.Sub: Run2<T, SubOp<T>>(default, a, b, dst); break;
            case BinaryOp.Mul: Run2<T, MulOp<T>>(default, a, b, dst); break;
            case BinaryOp.Div: Run2<T, DivOp<T>>(default, a, b, dst); break;
            case BinaryOp.Maximum: Run2<T, MaximumOp<T>>(default, a, b, dst); break;
            case BinaryOp.Minimum: Run2<T, MinimumOp<T>>(default, a, b, dst); break;
            case BinaryOp.AddScaled: Run2<T, AddScaledOp<T>>(new(T.CreateTruncating(p0)), a, b, dst); break;
            default: throw new NotSupportedException($"{op} is not defined for {dst.dtype} tensors.");
        }
    }

    private static void BinaryF<T>(BinaryOp op, Tensor a, Tensor b, Tensor dst, double p0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T s0 = T.CreateTruncating(p0);
        switch (op)
        {
            case BinaryOp.Pow: Run2<T, PowOp<T>>(default, a, b, dst); break;
            case BinaryOp.ReluGrad: Run2<T, ReluGradOp<T>>(default, a, b, dst); break;
            case BinaryOp.SigmoidGrad: Run2<T, SigmoidGradOp<T>>(default, a, b, dst); break;
            case BinaryOp.TanhGrad: Run2<T, TanhGradOp<T>>(default, a, b, dst); break;
            case BinaryOp.SoftplusGrad: Run2<T, SoftplusGradOp<T>>(default, a, b, dst); break;
            case BinaryOp.LogSigmoidGrad: Run2<T, LogSigmoidGradOp<T>>(default, a, b, dst); break;
            case BinaryOp.AbsGrad: Run2<T, AbsGradOp<T>>(default, a, b, dst); break;
            case BinaryOp.PowScalarGrad: Run2<T, PowScalarGradOp<T>>(new(s0), a, b, dst); break;
            case BinaryOp.GeluTanhGrad: Run2<T, GeluTanhGradOp<T>>(default, a, b, dst); break;
            case BinaryOp.GeluErfGrad: Run2<T, GeluErfGradOp<T>>(default, a, b, dst); break;
            default: BinaryN<T>(op, a, b, dst, p0); break;
        }
    }

    public void ClampGrad(Tensor g, Tensor x, Tensor dst, double lo, double hi)
    {
        if (dst.dtype == ScalarType.Float32)
        {
            Run2<float, ClampGradOp<float>>(new((float)lo, (float)hi), g, x, dst);
        }
        else
        {
            Run2<double, ClampGradOp<double>>(new(lo, hi), g, x, dst);
        }
    }

    public void Compare(CompareOp op, Tensor a, Tensor b, Tensor dst)
    {
        var aSt = Shapes.BroadcastStrides(a.shapeI, a.stridesI, dst.shapeI);
        var bSt = Shapes.BroadcastStrides(b.shapeI, b.stridesI, dst.shapeI);
        switch (a.dtype)
        {
            case ScalarType.Float32: CompareT(op, a.Raw<float>(), a.offset, aSt, b.Raw<float>(), b.offset, bSt, dst); break;
            case ScalarType.Float64: CompareT(op, a.Raw<double>(), a.offset, aSt, b.Raw<double>(), b.offset, bSt, dst); break;
            case ScalarType.Int64: CompareT(op, a.Raw<long>(), a.offset, aSt, b.Raw<long>(), b.offset, bSt, dst); break;
            default: CompareBool(op, a.Raw<bool>(), a.offset, aSt, b.Raw<bool>(), b.offset, bSt, dst); break;
        }
    }

    public void CompareScalar(CompareOp op, Tensor a, double s, Tensor dst)
    {
        var aSt = Shapes.BroadcastStrides(a.shapeI, a.stridesI, dst.shapeI);
        var zero = new int[dst.shapeI.Length];
        switch (a.dtype)
        {
            case ScalarType.Float32: CompareT(op, a.Raw<float>(), a.offset, aSt, [(float)s], 0, zero, dst); break;
            case ScalarType.Float64: CompareT(op, a.Raw<double>(), a.offset, aSt, [s], 0, zero, dst); break;
            case ScalarType.Int64: CompareT(op, a.Raw<long>(), a.offset, aSt, [(long)s], 0, zero, dst); break;
            default: CompareBool(op, a.Raw<bool>(), a.offset, aSt, [s != 0], 0, zero, dst); break;
        }
    }

    private static void CompareT<T>(CompareOp op, T[] a, int ao, int[] aSt, T[] b, int bo, int[] bSt, Tensor dst) where T : INumber<T>
    {
        var d = dst.Raw<bool>();
        if (dst.numelI == 0)
        {
            return;
        }
        // Walk the outer dims once per inner run; the inner loop is a plain strided loop.
        var (cs, cst) = Strided.Coalesce(dst.shapeI, dst.stridesI, aSt, bSt);
        int r = cs.Length, inner = cs[r - 1];
        int sd = cst[0][r - 1], sa = cst[1][r - 1], sb = cst[2][r - 1];
        var w = new Walker(cs[..^1], [dst.offset, ao, bo], cst[0][..^1], cst[1][..^1], cst[2][..^1]);
        for (int o = dst.numelI / inner; o > 0; o--, w.Next())
        {
            int od = w.Off[0], oa = w.Off[1], ob = w.Off[2];
            switch (op)
            {
                case CompareOp.Eq: for (int i = 0; i < inner; i++) { d[od + i * sd] = a[oa + i * sa] == b[ob + i * sb]; } break;
                case CompareOp.Ne: for (int i = 0; i < inner; i++) { d[od + i * sd] = a[oa + i * sa] != b[ob + i * sb]; } break;
                case CompareOp.Lt: for (int i = 0; i < inner; i++) { d[od + i * sd] = a[oa + i * sa] < b[ob + i * sb]; } break;
                case CompareOp.Le: for (int i = 0; i < inner; i++) { d[od + i * sd] = a[oa + i * sa] <= b[ob + i * sb]; } break;
                case CompareOp.Gt: for (int i = 0; i < inner; i++) { d[od + i * sd] = a[oa + i * sa] > b[ob + i * sb]; } break;
                case CompareOp.Ge: for (int i = 0; i < inner; i++) { d[od + i * sd] = a[oa + i * sa] >= b[ob + i * sb]; } break;
                case CompareOp.And: for (int i = 0; i < inner; i++) { d[od + i * sd] = a[oa + i * sa] != T.Zero && b[ob + i * sb] != T.Zero; } break;
                case CompareOp.Or: for (int i = 0; i < inner; i++) { d[od + i * sd] = a[oa + i * sa] != T.Zero || b[ob + i * sb] != T.Zero; } break;
                default: for (int i = 0; i < inner; i++) { d[od + i * sd] = (a[oa + i * sa] != T.Zero) ^ (b[ob + i * sb] != T.Zero); } break;
            }
        }
    }

    private static void CompareBool(CompareOp op, bool[] a, int ao, int[] aSt, bool[] b, int bo, int[] bSt, Tensor dst)
    {
        var d = dst.Raw<bool>();
        var w = new Walker(dst.shapeI, [dst.offset, ao, bo], dst.stridesI, aSt, bSt);
        for (int i = 0; i < dst.numelI; i++, w.Next())
        {
            bool x = a[w.Off[1]], y = b[w.Off[2]];
            d[w.Off[0]] = op switch
            {
                CompareOp.Eq => x == y,
                CompareOp.Ne or CompareOp.Xor => x != y,
                CompareOp.And => x && y,
                CompareOp.Or => x || y,
                CompareOp.Lt => !x && y,
                CompareOp.Le => !x || y,
                CompareOp.Gt => x && !y,
                _ => x || !y,
            };
        }
    }

    public void LogicalNot(Tensor a, Tensor dst) => CompareScalar(CompareOp.Eq, a, 0, dst);

    public void DropoutMask(Tensor dst, double p, Generator generator)
    {
        switch (dst.dtype)
        {
            case ScalarType.Float32: generator.FillDropoutMask(dst.Raw<float>().AsSpan(dst.offset, dst.numelI), p); break;
            case ScalarType.Float64: generator.FillDropoutMask(dst.Raw<double>().AsSpan(dst.offset, dst.numelI), p); break;
            default: throw new NotSupportedException($"Dropout masks are float tensors, not {dst.dtype}.");
        }
    }

    public void Fused(FusedOp op, Tensor dst, Tensor a, Tensor? b, double value)
    {
        bool flat = dst.is_contiguous() && Shapes.Equal(a.shapeI, dst.shapeI) && a.is_contiguous()
            && (b is null || (Shapes.Equal(b.shapeI, dst.shapeI) && b.is_contiguous()));
        if (flat && dst.dtype == ScalarType.Float32)
        {
            FusedFlat<float>(op, dst, a, b, (float)value);
            return;
        }
        if (flat && dst.dtype == ScalarType.Float64)
        {
            FusedFlat<double>(op, dst, a, b, value);
            return;
        }
        // General layouts: one temporary, then dst += value * temp.
        var tmp = NewTensor(dst.shapeI, dst.dtype);
        try
        {
            switch (op)
            {
                case FusedOp.AddCMul: Binary(BinaryOp.Mul, a, b!, tmp); break;
                case FusedOp.AddCDiv: Binary(BinaryOp.Div, a, b!, tmp); break;
                default: Binary(BinaryOp.Sub, a, dst, tmp); break;
            }
            Binary(BinaryOp.AddScaled, dst, tmp, dst, value);
        }
        finally
        {
            tmp.Dispose();
        }
    }

    private static void FusedFlat<T>(FusedOp op, Tensor dst, Tensor a, Tensor? b, T value) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = dst.Raw<T>();
        var ad = a.Raw<T>();
        var bd = b?.Raw<T>();
        int dOff = dst.offset, aOff = a.offset, bOff = b?.offset ?? 0;
        Par.For(dst.numelI, Par.ElementwiseGrain, (start, count) =>
        {
            Span<T> tmp = stackalloc T[1024];
            for (int s = start; s < start + count; s += tmp.Length)
            {
                int n = Math.Min(tmp.Length, start + count - s);
                var ds = d.AsSpan(dOff + s, n);
                var av = ad.AsSpan(aOff + s, n);
                var t = tmp[..n];
                switch (op)
                {
                    case FusedOp.AddCMul:
                        TP.Multiply<T>(av, bd.AsSpan(bOff + s, n), t);
                        TP.MultiplyAdd(t, value, ds, ds);
                        break;
                    case FusedOp.AddCDiv:
                        TP.Divide<T>(av, bd.AsSpan(bOff + s, n), t);
                        TP.MultiplyAdd(t, value, ds, ds);
                        break;
                    default:
                        TP.Lerp<T>(ds, av, value, ds);
                        break;
                }
            }
        });
    }

    public void Where(Tensor condition, Tensor a, Tensor b, Tensor dst)
    {
        switch (dst.dtype)
        {
            case ScalarType.Float32: WhereT<float>(condition, a, b, dst); break;
            case ScalarType.Float64: WhereT<double>(condition, a, b, dst); break;
            case ScalarType.Int64: WhereT<long>(condition, a, b, dst); break;
            default: WhereT<bool>(condition, a, b, dst); break;
        }
    }

    private static void WhereT<T>(Tensor c, Tensor a, Tensor b, Tensor dst) where T : unmanaged
    {
        if (dst.numelI == 0)
        {
            return;
        }
        var cd = c.Raw<bool>();
        var ad = a.Raw<T>();
        var bd = b.Raw<T>();
        var d = dst.Raw<T>();
        var (cs, cst) = Strided.Coalesce(dst.shapeI, dst.stridesI,
            Shapes.BroadcastStrides(c.shapeI, c.stridesI, dst.shapeI),
            Shapes.BroadcastStrides(a.shapeI, a.stridesI, dst.shapeI),
            Shapes.BroadcastStrides(b.shapeI, b.stridesI, dst.shapeI));
        int r = cs.Length, inner = cs[r - 1];
        int sd = cst[0][r - 1], sc = cst[1][r - 1], sa = cst[2][r - 1], sb = cst[3][r - 1];
        var w = new Walker(cs[..^1], [dst.offset, c.offset, a.offset, b.offset], cst[0][..^1], cst[1][..^1], cst[2][..^1], cst[3][..^1]);
        for (int o = dst.numelI / inner; o > 0; o--, w.Next())
        {
            int od = w.Off[0], oc = w.Off[1], oa = w.Off[2], ob = w.Off[3];
            for (int i = 0; i < inner; i++)
            {
                d[od + i * sd] = cd[oc + i * sc] ? ad[oa + i * sa] : bd[ob + i * sb];
            }
        }
    }

    public void MaskedFill(Tensor dst, Tensor mask, double value)
    {
        switch (dst.dtype)
        {
            case ScalarType.Float32: MaskedFillT(dst, mask, (float)value); break;
            case ScalarType.Float64: MaskedFillT(dst, mask, value); break;
            case ScalarType.Int64: MaskedFillT(dst, mask, (long)value); break;
            default: MaskedFillT(dst, mask, value != 0); break;
        }
    }

    private static void MaskedFillT<T>(Tensor dst, Tensor mask, T v) where T : unmanaged
    {
        var m = mask.Raw<bool>();
        var d = dst.Raw<T>();
        var mSt = Shapes.BroadcastStrides(mask.shapeI, mask.stridesI, dst.shapeI);
        var (cs, cst) = Strided.Coalesce(dst.shapeI, dst.stridesI, mSt);
        int r = cs.Length, inner = cs[r - 1], sd = cst[0][r - 1], sm = cst[1][r - 1];
        int outer = dst.numelI / Math.Max(inner, 1);
        var w = new Walker(cs[..^1], [dst.offset, mask.offset], cst[0][..^1], cst[1][..^1]);
        for (int o = 0; o < outer && dst.numelI > 0; o++, w.Next())
        {
            int od = w.Off[0], om = w.Off[1];
            for (int i = 0; i < inner; i++)
            {
                if (m[om + i * sm])
                {
                    d[od + i * sd] = v;
                }
            }
        }
    }
}
