using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Torch;

/// <summary>
/// Registers the libtorch devices with the tensor runtime: after <see cref="Register"/>, <c>torch.device("torch:cpu")</c>
/// and <c>torch.device("cuda[:n]")</c> resolve. The host calls it once at start; plugins never reference this assembly.
/// </summary>
public static class TorchBackends
{
    private static readonly object Gate = new();
    private static bool registered;
    private static Device? cpu;
    private static readonly Dictionary<int, Device> Cuda = [];

    /// <summary>Makes the libtorch devices resolvable by name. Loading libtorch is deferred to the first use of a device.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (registered)
            {
                return;
            }
            registered = true;
            RegisterDevices(Resolve);
        }
    }

    /// <summary>The libtorch CPU device (<c>torch:cpu</c>).</summary>
    public static Device Cpu
    {
        get
        {
            lock (Gate)
            {
                return cpu ??= TorchBackend.CreateCpu().Device;
            }
        }
    }

    private static Device? Resolve(string name)
    {
        if (name == "torch:cpu")
        {
            return Cpu;
        }
        if (name != "cuda" && !name.StartsWith("cuda:", StringComparison.Ordinal))
        {
            return null;
        }
        int index = 0;
        if (name.Length > 5 && !int.TryParse(name.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out index))
        {
            throw new NotSupportedException($"Device '{name}': the CUDA index must be a number, as in 'cuda:0'.");
        }
        if (!TorchSharp.torch.cuda.is_available())
        {
            throw new NotSupportedException(
                $"Device '{name}': libtorch reports no CUDA device. The build ships TorchSharp-cpu; for a GPU, build with -p:AlignFxTorchPackage=TorchSharp-cuda-linux (see src/Framework.Tensors.Torch/README.md).");
        }
        int count = TorchSharp.torch.cuda.device_count();
        if (index >= count)
        {
            throw new NotSupportedException($"Device '{name}': there are {count} CUDA devices (cuda:0 to cuda:{count - 1}).");
        }
        lock (Gate)
        {
            if (!Cuda.TryGetValue(index, out var d))
            {
                d = TorchBackend.CreateCuda(index).Device;
                Cuda[index] = d;
            }
            return d;
        }
    }
}
