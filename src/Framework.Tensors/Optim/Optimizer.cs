using System.Numerics;
using static AlignFx.Tensors.torch;
using static AlignFx.Tensors.torch.nn;

namespace AlignFx.Tensors.Optim;

/// <summary>
/// Parameters optimised with the same learning rate and weight decay. A group's <see cref="lr"/> is what
/// learning-rate schedulers change; null options take the optimiser's defaults when the group is added.
/// </summary>
public sealed class ParamGroup
{
    /// <summary>Creates a group; <paramref name="lr"/> and <paramref name="weight_decay"/> default to the optimiser's.</summary>
    public ParamGroup(IEnumerable<Parameter> parameters, double? lr = null, double? weight_decay = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = [.. parameters];
        LrOption = lr;
        WeightDecayOption = weight_decay;
    }

    /// <summary>The parameters of the group.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The current learning rate.</summary>
    public double lr { get; set; }

    /// <summary>The learning rate the group had when the first scheduler took it over (schedules scale it).</summary>
    public double? initial_lr { get; set; }

    /// <summary>The weight decay factor.</summary>
    public double weight_decay { get; set; }

    internal double? LrOption { get; }

    internal double? WeightDecayOption { get; }
}

/// <summary>
/// Base of the optimisers (PyTorch's <c>torch.optim.Optimizer</c>): parameter groups, <see cref="zero_grad"/> and
/// <see cref="step"/>. Steps run under no_grad, in place, over contiguous parameters and gradients; per-parameter
/// state is allocated once, at a parameter's first step, outside every dispose scope, so a training loop makes no
/// allocation per step in steady state.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly List<ParamGroup> groups = [];

    /// <summary>Creates an optimiser over <paramref name="groups"/> with the given defaults.</summary>
    protected Optimizer(IEnumerable<ParamGroup> groups, double lr, double weight_decay)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (lr < 0 || double.IsNaN(lr))
        {
            throw new ArgumentOutOfRangeException(nameof(lr), "Learning rate must be non-negative.");
        }
        if (weight_decay < 0 || double.IsNaN(weight_decay))
        {
            throw new ArgumentOutOfRangeException(nameof(weight_decay), "Weight decay must be non-negative.");
        }
        DefaultLr = lr;
        DefaultWeightDecay = weight_decay;
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var g in groups)
        {
            foreach (var p in g.Parameters)
            {
                if (!seen.Add(p))
                {
                    throw new ArgumentException("A parameter appears in more than one place in the optimiser's parameter list.");
                }
            }
            add_param_group(g);
        }
        if (this.groups.Count == 0 || this.groups.All(g => g.Parameters.Count == 0))
        {
            throw new ArgumentException("The optimiser got an empty parameter list.");
        }
    }

    /// <summary>The parameter groups.</summary>
    public IReadOnlyList<ParamGroup> param_groups => groups;

    /// <summary>The default learning rate for groups that set none.</summary>
    protected double DefaultLr { get; }

    /// <summary>The default weight decay for groups that set none.</summary>
    protected double DefaultWeightDecay { get; }

    /// <summary>Adds a group (its null options take the defaults).</summary>
    public void add_param_group(ParamGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        group.lr = group.LrOption ?? DefaultLr;
        group.weight_decay = group.WeightDecayOption ?? DefaultWeightDecay;
        groups.Add(group);
    }

    /// <summary>Clears the gradients of every parameter: drops them (default, returning buffers to the pool) or zeroes them.</summary>
    public void zero_grad(bool set_to_none = true)
    {
        foreach (var g in groups)
        {
            foreach (var p in g.Parameters)
            {
                Module.ClearGrad(p, set_to_none);
            }
        }
    }

    /// <summary>Updates every parameter that has a gradient.</summary>
    public void step()
    {
        using var _ = no_grad();
        foreach (var g in groups)
        {
            foreach (var p in g.Parameters)
            {
                if (p.grad is { } grad)
                {
                    var data = p.data;
                    if (!data.is_contiguous() || !grad.is_contiguous() || grad.dtype != data.dtype)
                    {
                        throw new NotSupportedException("Optimisers update contiguous parameters whose gradient has the parameter's dtype.");
                    }
                    Update(g, p, data, grad);
                }
            }
        }
    }

    /// <summary>Updates one parameter (contiguous, same dtype as its contiguous gradient).</summary>
    protected abstract void Update(ParamGroup group, Parameter parameter, Tensor data, Tensor grad);

    /// <summary>Drops the per-parameter state.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases state buffers; override to release more.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>A zero tensor shaped like <paramref name="like"/>, owned by the optimiser (outside every dispose scope).</summary>
    internal static Tensor StateBuffer(Tensor like) => zeros_like(like).DetachFromDisposeScope();

    /// <summary>
    /// Whether an update reads the parameter's memory directly (host memory: the span kernels) or runs as tensor
    /// operations on the parameter's device (a GPU's memory, which the host cannot read).
    /// </summary>
    internal static bool InHostMemory(Tensor data) => data.Storage.IsHostMemory && !TensorOpsForTests;

    /// <summary>Makes this thread's updates take the tensor-operation path, so tests can check it on the CPU.</summary>
    internal static bool TensorOpsForTests
    {
        get => t_tensorOpsForTests;
        set => t_tensorOpsForTests = value;
    }

    [ThreadStatic]
    private static bool t_tensorOpsForTests;

    /// <summary>The elements of a contiguous tensor as a span over its storage.</summary>
    internal static Span<T> Elements<T>(Tensor t) where T : unmanaged => t.HostElements<T>();

    internal static void CheckState(Tensor state, Tensor data)
    {
        if (state.dtype != data.dtype || !state.shape.AsSpan().SequenceEqual(data.shape))
        {
            throw new InvalidOperationException("A parameter changed shape or dtype after the optimiser created its state; create a new optimiser.");
        }
    }

    /// <summary>An update kernel over matching slices of a parameter's spans (unused spans are empty).</summary>
    internal delegate void ChunkKernel<T>(Span<T> p, Span<T> g, Span<T> a, Span<T> b);

    /// <summary>
    /// Elements per thread below which an update stays on one thread. Measured on the quiet 2-core machine
    /// (2026-12-07, `attention --filter adamw`, 2 threads forced against 1): 16K floats 1.07x (slower), 32K 0.71x,
    /// 64K 0.61x, 256K 0.60x; so an update splits from 32K elements, 16K per thread.
    /// </summary>
    internal const int UpdateGrain = 1 << 14;

    /// <summary>
    /// Runs <paramref name="kernel"/> over the spans whole, or, when they are large and <c>torch.set_num_threads</c> allows,
    /// over slices of 64 elements' multiples on several threads. The kernels are elementwise and every slice but the last
    /// is a multiple of the vector width, so each element takes the same path, and gets the same bits, at any thread count.
    /// </summary>
    internal static unsafe void ForChunks<T>(Span<T> p, Span<T> g, Span<T> a, Span<T> b, ChunkKernel<T> kernel) where T : unmanaged
    {
        int n = p.Length;
        if (!Split(n))
        {
            kernel(p, g, a, b);
            return;
        }
        const int Block = 64;
        int blocks = (n + Block - 1) / Block;
        fixed (T* pp = p, pg = g, pa = a, pb = b)
        {
            nint ip = (nint)pp, ig = (nint)pg, ia = (nint)pa, ib = (nint)pb;
            bool hasA = !a.IsEmpty, hasB = !b.IsEmpty;
            Backends.Cpu.Par.For(blocks, ForceSplitForBenchmark ? 1 : UpdateGrain / Block, (start, count) =>
            {
                int s = start * Block, len = Math.Min(n, (start + count) * Block) - s;
                kernel(new Span<T>((T*)ip + s, len), new Span<T>((T*)ig + s, len),
                    hasA ? new Span<T>((T*)ia + s, len) : default, hasB ? new Span<T>((T*)ib + s, len) : default);
            });
        }
    }

    /// <summary>Whether an update of n elements is split over threads (callers build the split's delegate only then: no per-step garbage).</summary>
    internal static bool Split(int n) => Backends.Cpu.Par.Workers > 1 && (n >= 2 * UpdateGrain || ForceSplitForBenchmark);

    /// <summary>Splits every update over the threads (the benchmark that measured <see cref="UpdateGrain"/>).</summary>
    internal static bool ForceSplitForBenchmark { get; set; }

    /// <summary>Vector-width loop helper: the number of leading elements handled with <see cref="Vector{T}"/>.</summary>
    internal static int VectorizedLength<T>(int n) => Vector.IsHardwareAccelerated ? n - n % Vector<T>.Count : 0;
}
