using System.Numerics;
using static AlignFx.Tensors.torch;
using static AlignFx.Tensors.torch.nn;

namespace AlignFx.Tensors.Optim;

/// <summary>
/// Stochastic gradient descent as <c>torch.optim.SGD</c> computes it: d = g + wd·p; with momentum μ the buffer b is
/// d at the first step and μb + (1 − dampening)·d after; the step uses b (or d + μb with Nesterov); p ← p − lr·step.
/// The momentum buffer is allocated at a parameter's first step.
/// </summary>
public sealed class SGD : Optimizer
{
    private readonly Dictionary<Parameter, Tensor> momentumBuffers = new(ReferenceEqualityComparer.Instance);

    internal SGD(IEnumerable<ParamGroup> groups, double lr, double momentum, double dampening, double weight_decay, bool nesterov)
        : base(groups, lr, weight_decay)
    {
        if (momentum < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), "Momentum must be non-negative.");
        }
        if (nesterov && (momentum <= 0 || dampening != 0))
        {
            throw new ArgumentException("Nesterov momentum requires a positive momentum and zero dampening.");
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
    }

    /// <summary>The momentum factor μ (0: plain SGD).</summary>
    public double momentum { get; }

    /// <summary>Dampening of the gradient added to the momentum buffer.</summary>
    public double dampening { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool nesterov { get; }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Parameter parameter, Tensor data, Tensor grad)
    {
        bool first = false;
        Tensor? buf = null;
        if (momentum != 0)
        {
            if (!momentumBuffers.TryGetValue(parameter, out buf))
            {
                buf = StateBuffer(data);
                momentumBuffers.Add(parameter, buf);
                first = true;
            }
            CheckState(buf, data);
        }
        if (!InHostMemory(data))
        {
            OnDevice(data, grad, buf, group, first);
            return;
        }
        if (data.dtype == ScalarType.Float32)
        {
            Run(Elements<float>(data), Elements<float>(grad), buf is null ? default : Elements<float>(buf), group, first);
        }
        else
        {
            Run(Elements<double>(data), Elements<double>(grad), buf is null ? default : Elements<double>(buf), group, first);
        }
    }

    private void Run<T>(Span<T> p, Span<T> g, Span<T> buf, ParamGroup group, bool first) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Split(p.Length))
        {
            Threaded(p, g, buf, group, first);
        }
        else
        {
            Kernel(p, g, buf, group, first);
        }
    }

    // Separate so that the closure is allocated only when the update is split.
    private void Threaded<T>(Span<T> p, Span<T> g, Span<T> buf, ParamGroup group, bool first) where T : unmanaged, IFloatingPointIeee754<T> =>
        ForChunks(p, g, buf, default, (pc, gc, bc, _) => Kernel(pc, gc, bc, group, first));

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        foreach (var b in momentumBuffers.Values)
        {
            b.Dispose();
        }
        momentumBuffers.Clear();
    }

    /// <summary>The same update as tensor operations on the parameter's device, for memory the host cannot read.</summary>
    private void OnDevice(Tensor p, Tensor g, Tensor? buf, ParamGroup group, bool first)
    {
        using var scope = NewDisposeScope();
        Tensor d = group.weight_decay != 0 ? g.add(p.mul(group.weight_decay)) : g;
        if (buf is not null)
        {
            if (first)
            {
                buf.copy_(d);
            }
            else
            {
                buf.mul_(momentum).add_(d, alpha: 1 - dampening);
            }
            d = nesterov ? d.add(buf.mul(momentum)) : buf;
        }
        p.add_(d, alpha: -group.lr);
    }

    private void Kernel<T>(Span<T> p, Span<T> g, Span<T> buf, ParamGroup group, bool first)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T wd = T.CreateChecked(group.weight_decay);
        T mu = T.CreateChecked(momentum);
        T keep = T.CreateChecked(1 - dampening);
        T negLr = T.CreateChecked(-group.lr);
        bool decays = group.weight_decay != 0;
        bool hasMomentum = momentum != 0;
        for (int i = 0; i < p.Length; i++)
        {
            T d = decays ? g[i] + wd * p[i] : g[i];
            if (hasMomentum)
            {
                T b = first ? d : buf[i] * mu + keep * d;
                buf[i] = b;
                d = nesterov ? d + mu * b : b;
            }
            p[i] += negLr * d;
        }
    }
}
