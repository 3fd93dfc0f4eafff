using AlignFx.Tensors.Backends;
using AlignFx.Tensors.Backends.Cpu;

namespace AlignFx.Tensors;

/// <summary>
/// The tensor runtime's entry point, shaped like TorchSharp's <c>torch</c> class so that code reads like PyTorch:
/// <c>using static AlignFx.Tensors.torch;</c> then <c>var x = randn(2, 3, requires_grad: true);</c>.
/// </summary>
public static partial class torch
{
    /// <summary>Element types a tensor can hold.</summary>
    public enum ScalarType
    {
        /// <summary>32-bit float: the training type.</summary>
        Float32,
        /// <summary>64-bit float: gradient checks and high-precision work.</summary>
        Float64,
        /// <summary>64-bit signed integer: indices and targets.</summary>
        Int64,
        /// <summary>Boolean: masks and comparison results.</summary>
        Bool,
    }

    /// <summary>32-bit float element type.</summary>
    public const ScalarType float32 = ScalarType.Float32;
    /// <summary>64-bit float element type.</summary>
    public const ScalarType float64 = ScalarType.Float64;
    /// <summary>64-bit integer element type.</summary>
    public const ScalarType int64 = ScalarType.Int64;
    /// <summary>Boolean element type.</summary>
    public const ScalarType @bool = ScalarType.Bool;

    /// <summary>Kinds of device a tensor can live on.</summary>
    public enum DeviceType
    {
        /// <summary>Host memory (the embedded managed backend, or libtorch's CPU kernels for <c>torch:cpu</c>).</summary>
        CPU,
        /// <summary>An NVIDIA GPU through libtorch.</summary>
        CUDA,
    }

    /// <summary>Where a tensor's storage lives; operations dispatch to the device's backend.</summary>
    public sealed class Device : IEquatable<Device>
    {
        internal Device(DeviceType type, int index, IBackend backend, string? name = null)
        {
            this.type = type;
            this.index = index;
            Backend = backend;
            this.name = name ?? (type == DeviceType.CPU ? "cpu" : $"{type.ToString().ToLowerInvariant()}:{index}");
        }

        private readonly string name;

        /// <summary>The device kind.</summary>
        public DeviceType type { get; }

        /// <summary>The device ordinal (-1 for the CPU).</summary>
        public int index { get; }

        internal IBackend Backend { get; }

        /// <inheritdoc/>
        public bool Equals(Device? other) => other is not null && other.type == type && other.index == index && ReferenceEquals(other.Backend, Backend);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as Device);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCode.Combine(type, index);

        /// <inheritdoc/>
        public override string ToString() => name;
    }

    /// <summary>The host CPU device (the default).</summary>
    public static readonly Device CPU = new(DeviceType.CPU, -1, CpuBackend.Instance);

    private static readonly List<Func<string, Device?>> DeviceResolvers = [];
    private static Device defaultDevice = CPU;

    /// <summary>
    /// Returns the device named by <paramref name="description"/>: <c>cpu</c> (the managed backend) is built in;
    /// <c>torch:cpu</c> and <c>cuda[:n]</c> exist once the libtorch backend (Framework.Tensors.Torch) is registered.
    /// </summary>
    public static Device device(string description)
    {
        ArgumentNullException.ThrowIfNull(description);
        string d = description.Trim().ToLowerInvariant();
        if (d == "cpu")
        {
            return CPU;
        }
        lock (DeviceResolvers)
        {
            foreach (var resolve in DeviceResolvers)
            {
                if (resolve(d) is { } found)
                {
                    return found;
                }
            }
        }
        bool torchName = d == "torch:cpu" || d == "cuda" || d.StartsWith("cuda:", StringComparison.Ordinal);
        throw new NotSupportedException(torchName && DeviceResolvers.Count == 0
            ? $"Device '{description}' needs the libtorch backend: reference Framework.Tensors.Torch and call TorchBackend.Register() (the alignfx host does)."
            : $"Device '{description}' is not available; the devices are 'cpu', 'torch:cpu' and 'cuda[:n]' (the last two with the libtorch backend).");
    }

    /// <summary>Adds a resolver of device names (a backend assembly registers its devices this way).</summary>
    internal static void RegisterDevices(Func<string, Device?> resolver)
    {
        lock (DeviceResolvers)
        {
            DeviceResolvers.Add(resolver);
        }
    }

    /// <summary>
    /// Sets the process-wide device on which tensors are created when no device is given (like PyTorch's
    /// <c>torch.set_default_device</c>). Plugins create tensors without naming a device, so this is how a run
    /// chooses its backend. Set it before any tensor of the run exists.
    /// </summary>
    public static void set_default_device(Device device) => defaultDevice = device ?? throw new ArgumentNullException(nameof(device));

    /// <summary>The device on which tensors are created when no device is given (<see cref="CPU"/> unless set).</summary>
    public static Device get_default_device() => defaultDevice;

    internal static Device DefaultDevice => defaultDevice;

    [ThreadStatic] private static int noGradDepth;
    [ThreadStatic] private static int enableGradDepth;

    /// <summary>True when operations record the autograd graph on this thread.</summary>
    public static bool is_grad_enabled() => noGradDepth == 0 || enableGradDepth > 0;

    /// <summary>
    /// Disables gradient recording on this thread until the returned object is disposed:
    /// <c>using (torch.no_grad()) { ... }</c>.
    /// </summary>
    public static IDisposable no_grad() => new GradModeScope(enable: false);

    /// <summary>Re-enables gradient recording inside a <see cref="no_grad"/> region until disposed.</summary>
    public static IDisposable enable_grad() => new GradModeScope(enable: true);

    private sealed class GradModeScope : IDisposable
    {
        private readonly bool enable;
        private readonly int savedNoGrad;
        private readonly int savedEnable;
        private bool disposed;

        public GradModeScope(bool enable)
        {
            this.enable = enable;
            savedNoGrad = noGradDepth;
            savedEnable = enableGradDepth;
            if (enable)
            {
                enableGradDepth++;
            }
            else
            {
                // no_grad inside enable_grad must win, so it clears the enable count for its extent.
                noGradDepth++;
                enableGradDepth = 0;
            }
        }

        public void Dispose()
        {
            if (disposed)
            {
                return;
            }
            disposed = true;
            _ = enable;
            noGradDepth = savedNoGrad;
            enableGradDepth = savedEnable;
        }
    }

    /// <summary>
    /// Opens a dispose scope on this thread: every tensor created while it is the innermost scope is disposed
    /// (its buffer returned to the pool) when the scope is disposed, unless moved out with
    /// <see cref="Tensor.MoveToOuterDisposeScope"/> or <see cref="DisposeScope.MoveToOuter(Tensor)"/>.
    /// </summary>
    public static DisposeScope NewDisposeScope() => DisposeScope.Open();

    /// <summary>
    /// Sets how many threads the managed backend's CPU kernels may use: the elementwise, softmax, normalisation,
    /// attention and optimiser kernels split large work over this many, and the GEMM runs its parts on at most this
    /// many. Until it is called, those kernels use 1 thread on machines with at most two cores (else every core) and
    /// the GEMM every core: the defaults that measured fastest. Results are bitwise the same at any setting.
    /// </summary>
    public static void set_num_threads(int num_threads)
    {
        Par.Workers = num_threads;
        Kernels.GemmThreads.Limit = num_threads;
    }

    /// <summary>
    /// From how many keys the managed backend runs scaled_dot_product_attention through its tiled fused kernel when the
    /// call does not choose (default 1024; int.MaxValue: only when asked with <c>fused: true</c>). Below it attention is
    /// composed (matmul, fused scaled causal softmax, matmul), as every published run computed it.
    /// </summary>
    public static void set_fused_attention_min_keys(int keys) =>
        Backends.Cpu.CpuBackend.FusedAttentionMinKeys = keys > 0 ? keys : throw new ArgumentOutOfRangeException(nameof(keys), keys, "Must be positive.");

    /// <summary>How many threads the CPU kernels other than the GEMM split large work over (see <see cref="set_num_threads"/>).</summary>
    public static int get_num_threads() => Par.Workers;

    /// <summary>Drops every buffer held by the storage pool so the garbage collector can reclaim it.</summary>
    public static void empty_cache() => StoragePools.Clear();
}
