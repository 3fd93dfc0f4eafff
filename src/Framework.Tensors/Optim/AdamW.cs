using System.Numerics;
using System.Runtime.InteropServices;
using static AlignFx.Tensors.torch;
using static AlignFx.Tensors.torch.nn;

namespace AlignFx.Tensors.Optim;

/// <summary>
/// Adam with decoupled weight decay, as <c>torch.optim.AdamW</c> computes it for each parameter p with gradient g
/// at its step t:
/// p ← p·(1 − lr·wd); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
/// p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
/// One fused, vectorised pass per parameter; m and v are allocated at the parameter's first step.
/// </summary>
public sealed class AdamW : Optimizer
{
    private readonly Dictionary<Parameter, State> state = new(ReferenceEqualityComparer.Instance);

    internal AdamW(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weight_decay)
        : base(groups, lr, weight_decay)
    {
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(beta1), "Betas must be in [0, 1).");
        }
        if (eps < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(eps), "Epsilon must be non-negative.");
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /// <summary>Decay rate of the first moment.</summary>
    public double beta1 { get; }

    /// <summary>Decay rate of the second moment.</summary>
    public double beta2 { get; }

    /// <summary>Added to the bias-corrected √v.</summary>
    public double eps { get; }

    /// <summary>How many steps <paramref name="parameter"/> has taken (0 before its first).</summary>
    public long step_count(Parameter parameter) => state.TryGetValue(parameter, out var s) ? s.Step : 0;

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Parameter parameter, Tensor data, Tensor grad)
    {
        if (!state.TryGetValue(parameter, out var s))
        {
            s = new State(StateBuffer(data), StateBuffer(data));
            state.Add(parameter, s);
        }
        CheckState(s.ExpAvg, data);
        s.Step++;
        var h = new Hyper(group.lr, group.weight_decay, beta1, beta2, eps, s.Step);
        if (!InHostMemory(data))
        {
            OnDevice(data, grad, s, h);
            return;
        }
        if (data.dtype == ScalarType.Float32)
        {
            Run(Elements<float>(data), Elements<float>(grad), Elements<float>(s.ExpAvg), Elements<float>(s.ExpAvgSq), h);
        }
        else
        {
            Run(Elements<double>(data), Elements<double>(grad), Elements<double>(s.ExpAvg), Elements<double>(s.ExpAvgSq), h);
        }
    }

    private static void Run<T>(Span<T> p, Span<T> g, Span<T> m, Span<T> v, Hyper h) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Split(p.Length))
        {
            Threaded(p, g, m, v, h);
        }
        else
        {
            Kernel(p, g, m, v, h);
        }
    }

    // Separate so that the closure is allocated only when the update is split.
    private static void Threaded<T>(Span<T> p, Span<T> g, Span<T> m, Span<T> v, Hyper h) where T : unmanaged, IFloatingPointIeee754<T> =>
        ForChunks(p, g, m, v, (pc, gc, mc, vc) => Kernel(pc, gc, mc, vc, h));

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        foreach (var s in state.Values)
        {
            s.ExpAvg.Dispose();
            s.ExpAvgSq.Dispose();
        }
        state.Clear();
    }

    private readonly record struct Hyper(double Lr, double WeightDecay, double Beta1, double Beta2, double Eps, long Step);

    // Scalars are rounded to T once, as PyTorch passes them to its kernels; each operation rounds as PyTorch's
    // sequence of in-place ops does (no fused multiply-add), so float32 results track PyTorch's closely.
    private static void Kernel<T>(Span<T> p, Span<T> g, Span<T> m, Span<T> v, Hyper h)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T decay = T.CreateChecked(1 - h.Lr * h.WeightDecay);
        T b1 = T.CreateChecked(h.Beta1), c1 = T.CreateChecked(1 - h.Beta1);
        T b2 = T.CreateChecked(h.Beta2), c2 = T.CreateChecked(1 - h.Beta2);
        double bc1 = 1 - Math.Pow(h.Beta1, h.Step), bc2 = 1 - Math.Pow(h.Beta2, h.Step);
        T stepSize = T.CreateChecked(-(h.Lr / bc1));
        T bc2Sqrt = T.CreateChecked(Math.Sqrt(bc2));
        T eps = T.CreateChecked(h.Eps);
        bool decays = h.Lr * h.WeightDecay != 0;

        int n = p.Length;
        int vn = VectorizedLength<T>(n);
        if (vn > 0)
        {
            var pv = MemoryMarshal.Cast<T, Vector<T>>(p[..vn]);
            var gv = MemoryMarshal.Cast<T, Vector<T>>(g[..vn]);
            var mv = MemoryMarshal.Cast<T, Vector<T>>(m[..vn]);
            var vv = MemoryMarshal.Cast<T, Vector<T>>(v[..vn]);
            var vDecay = new Vector<T>(decay);
            Vector<T> vb1 = new(b1), vc1 = new(c1), vb2 = new(b2), vc2 = new(c2);
            Vector<T> vStep = new(stepSize), vBc2 = new(bc2Sqrt), vEps = new(eps);
            for (int i = 0; i < pv.Length; i++)
            {
                var gi = gv[i];
                var pi = decays ? pv[i] * vDecay : pv[i];
                var mi = mv[i] * vb1 + vc1 * gi;
                var vi = vv[i] * vb2 + vc2 * gi * gi;
                mv[i] = mi;
                vv[i] = vi;
                var denom = Vector.SquareRoot(vi) / vBc2 + vEps;
                pv[i] = pi + vStep * (mi / denom);
            }
        }
        for (int i = vn; i < n; i++)
        {
            T gi = g[i];
            T pi = decays ? p[i] * decay : p[i];
            T mi = m[i] * b1 + c1 * gi;
            T vi = v[i] * b2 + c2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            T denom = T.Sqrt(vi) / bc2Sqrt + eps;
            p[i] = pi + stepSize * (mi / denom);
        }
    }

    /// <summary>
    /// The same update as in-place tensor operations on the parameter's device, in the kernel's order of operations
    /// (PyTorch's single-tensor AdamW): for parameters in memory the host cannot read.
    /// </summary>
    private static void OnDevice(Tensor p, Tensor g, State s, Hyper h)
    {
        double bc1 = 1 - Math.Pow(h.Beta1, h.Step), bc2 = 1 - Math.Pow(h.Beta2, h.Step);
        if (h.Lr * h.WeightDecay != 0)
        {
            p.mul_(1 - h.Lr * h.WeightDecay);
        }
        s.ExpAvg.mul_(h.Beta1).add_(g, alpha: 1 - h.Beta1);
        s.ExpAvgSq.mul_(h.Beta2).addcmul_(g, g, value: 1 - h.Beta2);
        using var scope = NewDisposeScope();
        Tensor denom = s.ExpAvgSq.sqrt().div_(Math.Sqrt(bc2)).add_(h.Eps);
        p.addcdiv_(s.ExpAvg, denom, value: -(h.Lr / bc1));
    }

    private sealed class State(Tensor expAvg, Tensor expAvgSq)
    {
        public Tensor ExpAvg { get; } = expAvg;

        public Tensor ExpAvgSq { get; } = expAvgSq;

        public long Step { get; set; }
    }
}
