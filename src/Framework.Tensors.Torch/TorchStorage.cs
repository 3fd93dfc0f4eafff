using AlignFx.Tensors;
using TS = TorchSharp.torch;

namespace AlignFx.Tensors.Torch;

/// <summary>
/// Storage held by a flat libtorch tensor of <see cref="Storage.Length"/> elements; our views are strided views of it
/// (as_strided). The libtorch tensor is created on first use, so an op's freshly allocated output can adopt the op's
/// result instead of copying it (see <see cref="TorchBackend"/>).
/// </summary>
internal sealed class TorchStorage : Storage
{
    private readonly TorchBackend backend;
    private TS.Tensor? flat;
    private bool freed;

    public TorchStorage(TorchBackend backend, torch.ScalarType dtype, int length) : base(dtype, length) => this.backend = backend;

    public override torch.Device Device => backend.Device;

    public override bool IsHostMemory => backend.Device.type == torch.DeviceType.CPU;

    /// <summary>The flat libtorch tensor, allocated (uninitialised) on first use.</summary>
    public TS.Tensor Flat
    {
        get
        {
            ObjectDisposedException.ThrowIf(freed, this);
            return flat ??= TS.empty([Length], TorchBackend.ToTs(DType), backend.TsDevice);
        }
    }

    /// <summary>True until something reads or writes the storage.</summary>
    public bool Unmaterialized => flat is null && !freed;

    /// <summary>Takes <paramref name="result"/> (flat, contiguous, of this type and length, owned by nobody else) as the storage.</summary>
    public void Adopt(TS.Tensor result)
    {
        flat = result;
    }

    public override Span<T> HostSpan<T>()
    {
        if (!IsHostMemory)
        {
            throw new NotSupportedException($"The tensor lives on {Device}; copy it to the host first with .to(torch.CPU).");
        }
        // On the CPU, TorchSharp's bytes span is over the tensor's own memory (no copy).
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(Flat.bytes);
    }

    protected override void Free()
    {
        freed = true;
        var f = flat;
        flat = null;
        f?.Dispose();
    }
}
