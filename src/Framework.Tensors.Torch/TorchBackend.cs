using AlignFx.Tensors.Backends;
using AlignFx.Tensors.Backends.Cpu;
using static AlignFx.Tensors.torch;
using TS = TorchSharp.torch;

namespace AlignFx.Tensors.Torch;

/// <summary>
/// The libtorch backend: every kernel of the seam runs as libtorch operations on strided views of the operands'
/// flat libtorch storage. A result is written into the caller's output by adopting it when the output is fresh
/// (no copy) and by <c>copy_</c> otherwise. Random draws come from our <see cref="Generator"/> (drawn on the host,
/// then copied in), so a seed means the same numbers on every backend.
/// </summary>
internal sealed partial class TorchBackend : IBackend
{
    private TorchBackend(DeviceType type, int index, TS.Device tsDevice, string name)
    {
        TsDevice = tsDevice;
        Device = new Device(type, index, this, name);
    }

    public Device Device { get; }

    public TS.Device TsDevice { get; }

    internal static TorchBackend CreateCpu() => new(DeviceType.CPU, -1, TS.CPU, "torch:cpu");

    internal static TorchBackend CreateCuda(int index) => new(DeviceType.CUDA, index, new TS.Device(TorchSharp.DeviceType.CUDA, index), $"cuda:{index}");

    public static TS.ScalarType ToTs(ScalarType t) => t switch
    {
        ScalarType.Float32 => TS.ScalarType.Float32,
        ScalarType.Float64 => TS.ScalarType.Float64,
        ScalarType.Int64 => TS.ScalarType.Int64,
        _ => TS.ScalarType.Bool,
    };

    public Storage Allocate(ScalarType dtype, int numel) => new TorchStorage(this, dtype, numel);

    // ---------------- views and results ----------------

    private static long[] L(int[] a) => Array.ConvertAll(a, v => (long)v);

    /// <summary>A libtorch view of t (the caller disposes it). Host tensors of the managed backend are copied in.</summary>
    internal TS.Tensor View(Tensor t)
    {
        if (t.Storage is TorchStorage s)
        {
            return s.Flat.as_strided(L(t.shapeI), L(t.stridesI), t.offset);
        }
        if (t.Storage.IsHostMemory)
        {
            // A tensor of the managed backend (a constant made on the CPU device): one copy onto this device.
            return Upload(t);
        }
        throw new InvalidOperationException($"A tensor on {t.device} met one on {Device}; move it with .to(device) first.");
    }

    private TS.Tensor Upload(Tensor t)
    {
        var shape = L(t.shapeI);
        using var c = t.is_contiguous() ? null : t.contiguous();
        var src = c ?? t;
        TS.Tensor host = t.dtype switch
        {
            ScalarType.Float32 => TS.tensor(src.HostElements<float>().ToArray(), shape),
            ScalarType.Float64 => TS.tensor(src.HostElements<double>().ToArray(), shape),
            ScalarType.Int64 => TS.tensor(src.HostElements<long>().ToArray(), shape),
            _ => TS.tensor(src.HostElements<bool>().ToArray(), shape),
        };
        if (TsDevice.type == TorchSharp.DeviceType.CPU)
        {
            return host;
        }
        using (host)
        {
            return host.to(TsDevice);
        }
    }

    /// <summary>Writes result (owned, fresh from an op) into dst and disposes it.</summary>
    private static void Store(Tensor dst, TS.Tensor result)
    {
        var s = (TorchStorage)dst.Storage;
        if (s.Unmaterialized && dst.offset == 0 && dst.numelI == s.Length && dst.is_contiguous()
            && result.is_contiguous() && result.dtype == ToTs(dst.dtype) && result.numel() == dst.numelI)
        {
            s.Adopt(result.reshape(-1));
            result.Dispose();
            return;
        }
        using (result)
        using (var v = s.Flat.as_strided(L(dst.shapeI), L(dst.stridesI), dst.offset))
        {
            v.copy_(result);
        }
    }

    /// <summary>Runs compute in a libtorch dispose scope (its views and temporaries die with it) and stores its result.</summary>
    private static void Store(Tensor dst, Func<TS.Tensor> compute)
    {
        TS.Tensor r;
        using (TS.NewDisposeScope())
        {
            r = compute().DetachFromDisposeScope();
        }
        Store(dst, r);
    }

    // ---------------- IBackend ----------------

    public void Fill(Tensor dst, double value)
    {
        var s = (TorchStorage)dst.Storage;
        if (s.Unmaterialized && dst.offset == 0 && dst.numelI == s.Length)
        {
            s.Adopt(TS.full([s.Length], Scalar(dst.dtype, value), ToTs(dst.dtype), TsDevice));
            return;
        }
        using var v = View(dst);
        v.fill_(Scalar(dst.dtype, value));
    }

    public void Copy(Tensor src, Tensor dst)
    {
        if (dst.Storage is not TorchStorage)
        {
            // Download into host memory (the managed backend's, or another device's host view).
            using var scope = TS.NewDisposeScope();
            var v = View(src).to(ToTs(dst.dtype)).to(TS.CPU).expand(L(dst.shapeI)).contiguous();
            using var c = dst.is_contiguous() ? null : Tensor.Empty(dst.shapeI, dst.dtype, CPU);
            var target = c ?? dst;
            v.bytes.CopyTo(HostBytes(target));
            if (c is not null)
            {
                CpuBackend.Instance.Copy(c, dst);
            }
            return;
        }
        using var d = View(dst);
        using var sv = View(src);
        d.copy_(sv);
    }

    private static Span<byte> HostBytes(Tensor t) => t.dtype switch
    {
        ScalarType.Float32 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.HostElements<float>()),
        ScalarType.Float64 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.HostElements<double>()),
        ScalarType.Int64 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.HostElements<long>()),
        _ => System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.HostElements<bool>()),
    };

    public void Unary(UnaryOp op, Tensor x, Tensor dst, double p0 = 0, double p1 = 0) => Store(dst, () =>
    {
        var v = View(x);
        return op switch
        {
            UnaryOp.Identity => v.clone(),
            UnaryOp.Neg => v.neg(),
            UnaryOp.Abs => v.abs(),
            UnaryOp.Sign => v.sign(),
            UnaryOp.Exp => v.exp(),
            UnaryOp.ExpLibm => ExpLibm(v),
            UnaryOp.Log => v.log(),
            UnaryOp.Sqrt => v.sqrt(),
            UnaryOp.Rsqrt => v.rsqrt(),
            UnaryOp.Tanh => v.tanh(),
            UnaryOp.Sigmoid => v.sigmoid(),
            UnaryOp.Relu => v.relu(),
            UnaryOp.GeluTanh => GeluTanh(v),
            UnaryOp.GeluErf => TS.nn.functional.gelu(v),
            UnaryOp.Softplus => TS.nn.functional.softplus(v),
            UnaryOp.LogSigmoid => TS.nn.functional.logsigmoid(v),
            UnaryOp.PowScalar => v.pow(Scalar(x.dtype, p0)),
            UnaryOp.Clamp => Clamp(v, x.dtype, p0, p1),
            UnaryOp.AddScalar => v.add(Scalar(x.dtype, p0)),
            UnaryOp.MulScalar => v.mul(Scalar(x.dtype, p0)),
            UnaryOp.RSubScalar => v.neg().add(Scalar(x.dtype, p0)),
            UnaryOp.RDivScalar => v.reciprocal().mul(p0),
            _ => throw new NotSupportedException($"Unary {op}."),
        };
    });

    /// <summary>
    /// A scalar of the tensor's type, converted as the managed backend does: float32 saturates to ±infinity (libtorch
    /// refuses a double beyond float's range, such as clamp(max: double.MaxValue)), int64 truncates.
    /// </summary>
    private static TorchSharp.Scalar Scalar(ScalarType t, double v) => t switch
    {
        ScalarType.Int64 => (long)v,
        ScalarType.Float32 => (double)(float)v,
        ScalarType.Bool => v != 0,
        _ => v,
    };

    private static TS.Tensor Clamp(TS.Tensor v, ScalarType t, double lo, double hi)
    {
        if (t == ScalarType.Float32)
        {
            (lo, hi) = ((float)lo, (float)hi);
        }
        var r = v.clone();
        if (!double.IsNegativeInfinity(lo))
        {
            r = r.clamp_min(Scalar(t, lo));
        }
        if (!double.IsPositiveInfinity(hi))
        {
            r = r.clamp_max(Scalar(t, hi));
        }
        return r;
    }

    /// <summary>
    /// e^x by the C library's exp element by element: on the CPU device a loop over the result's own memory (libtorch's
    /// exp vectorises with SLEEF, which differs from it in the last bit for about 0.5% of float64 arguments); CUDA has no
    /// C library, so there it is the device's exp.
    /// </summary>
    private TS.Tensor ExpLibm(TS.Tensor v)
    {
        if (TsDevice.type != TorchSharp.DeviceType.CPU)
        {
            return v.exp();
        }
        var r = TS.empty(v.shape, v.dtype, TsDevice);
        r.copy_(v);
        if (r.dtype == TS.ScalarType.Float64)
        {
            var span = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(r.bytes);
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = Math.Exp(span[i]);
            }
        }
        else
        {
            var span = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(r.bytes);
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = MathF.Exp(span[i]);
            }
        }
        return r;
    }

    private const double SqrtTwoOverPi = 0.7978845608028654;

    private static TS.Tensor GeluTanh(TS.Tensor x) =>
        x.mul(0.5).mul(x.pow(3).mul(0.044715).add(x).mul(SqrtTwoOverPi).tanh().add(1));

    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor dst, double p0 = 0) => Store(dst, () =>
    {
        var x = View(a);
        var y = View(b);
        return op switch
        {
            BinaryOp.Add => x.add(y),
            BinaryOp.Sub => x.sub(y),
            BinaryOp.Mul => x.mul(y),
            BinaryOp.Div => a.dtype == ScalarType.Int64 ? x.div(y, rounding_mode: TS.RoundingMode.trunc) : x.div(y),
            BinaryOp.Pow => x.pow(y),
            BinaryOp.Maximum => TS.maximum(x, y),
            BinaryOp.Minimum => TS.minimum(x, y),
            BinaryOp.AddScaled => x.add(y, Scalar(a.dtype, p0)),
            BinaryOp.ReluGrad => x.mul(y.gt(0)),
            BinaryOp.SigmoidGrad => x.mul(y).mul(y.neg().add(1)),
            BinaryOp.TanhGrad => x.mul(y.mul(y).neg().add(1)),
            BinaryOp.SoftplusGrad => x.mul(y.sigmoid()),
            BinaryOp.LogSigmoidGrad => x.mul(y.neg().sigmoid()),
            BinaryOp.AbsGrad => x.mul(y.sign()),
            BinaryOp.PowScalarGrad => p0 == 2 ? x.mul(y.add(y)) : x.mul(y.pow(p0 - 1)).mul(p0),
            BinaryOp.GeluTanhGrad => x.mul(GeluTanhDerivative(y)),
            BinaryOp.GeluErfGrad => x.mul(y.mul(0.7071067811865476).erf().add(1).mul(0.5).add(y.mul(y.mul(y).mul(-0.5).exp()).mul(0.3989422804014327))),
            BinaryOp.ClampGrad => throw new NotSupportedException("ClampGrad goes through IBackend.ClampGrad."),
            _ => throw new NotSupportedException($"Binary {op}."),
        };
    });

    private static TS.Tensor GeluTanhDerivative(TS.Tensor x)
    {
        var u = x.pow(3).mul(0.044715).add(x).mul(SqrtTwoOverPi);
        var t = u.tanh();
        var du = x.mul(x).mul(3 * 0.044715).add(1).mul(SqrtTwoOverPi);
        return t.add(1).mul(0.5).add(x.mul(0.5).mul(t.mul(t).neg().add(1)).mul(du));
    }

    public void ClampGrad(Tensor grad, Tensor x, Tensor dst, double lo, double hi) => Store(dst, () =>
    {
        var xv = View(x);
        var inside = xv.ge(Scalar(x.dtype, lo)).logical_and(xv.le(Scalar(x.dtype, hi)));
        return View(grad).mul(inside);
    });

    public void Compare(CompareOp op, Tensor a, Tensor b, Tensor dst) => Store(dst, () => CompareT(op, View(a), View(b)));

    public void CompareScalar(CompareOp op, Tensor a, double s, Tensor dst) => Store(dst, () =>
    {
        var x = View(a);
        TS.Tensor y = a.dtype switch
        {
            ScalarType.Bool => TS.tensor(s != 0, device: TsDevice),
            ScalarType.Int64 => TS.tensor((long)s, device: TsDevice),
            ScalarType.Float32 => TS.tensor((float)s, device: TsDevice),
            _ => TS.tensor(s, device: TsDevice),
        };
        return CompareT(op, x, y);
    });

    private static TS.Tensor CompareT(CompareOp op, TS.Tensor x, TS.Tensor y) => op switch
    {
        CompareOp.Eq => x.eq(y),
        CompareOp.Ne => x.ne(y),
        CompareOp.Lt => x.lt(y),
        CompareOp.Le => x.le(y),
        CompareOp.Gt => x.gt(y),
        CompareOp.Ge => x.ge(y),
        CompareOp.And => x.logical_and(y),
        CompareOp.Or => x.logical_or(y),
        _ => x.logical_xor(y),
    };

    public void LogicalNot(Tensor a, Tensor dst) => Store(dst, () => View(a).logical_not());

    public void Fused(FusedOp op, Tensor dst, Tensor a, Tensor? b, double value)
    {
        using var scope = TS.NewDisposeScope();
        var d = View(dst);
        switch (op)
        {
            case FusedOp.AddCMul: d.addcmul_(View(a), View(b!), value); break;
            case FusedOp.AddCDiv: d.addcdiv_(View(a), View(b!), value); break;
            default: d.lerp_(View(a), value); break;
        }
    }

    public void Where(Tensor condition, Tensor a, Tensor b, Tensor dst) =>
        Store(dst, () => TS.where(View(condition), View(a), View(b)));

    public void MaskedFill(Tensor dst, Tensor mask, double value)
    {
        using var scope = TS.NewDisposeScope();
        View(dst).masked_fill_(View(mask), Scalar(dst.dtype, value));
    }
}
