using AlignFx.Host.Manifests;
using AlignFx.Tensors;
using AlignFx.Tensors.Torch;

namespace AlignFx.Host.Runner;

/// <summary>The tensor devices a run can use: names from manifests and <c>--device</c>, checked and resolved.</summary>
internal static class TensorDevices
{
    /// <summary>The device names a manifest may give (JSON Schema pattern).</summary>
    public const string Pattern = "^(cpu|torch:cpu|cuda(:[0-9]+)?)$";

    static TensorDevices() => TorchBackends.Register();

    /// <summary>Why <paramref name="name"/> cannot be used here, or null when it can (a CUDA device must exist).</summary>
    public static string? Problem(string name)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, Pattern))
        {
            return $"unknown device '{name}'; the devices are cpu (the managed backend), torch:cpu (libtorch) and cuda[:n]";
        }
        try
        {
            torch.device(name);
            return null;
        }
        catch (Exception e) when (e is NotSupportedException or TypeInitializationException or DllNotFoundException)
        {
            return e.Message;
        }
    }

    /// <summary>Checks a manifest's device field; returns it when usable.</summary>
    public static string? Validate(string? name, string path, BindContext context)
    {
        if (name is null)
        {
            return null;
        }
        if (Problem(name) is { } problem)
        {
            context.Error(path, problem);
            return null;
        }
        return name;
    }

    /// <summary>The device for a run (cpu when none is named).</summary>
    public static torch.Device Resolve(string? name) => name is null ? torch.CPU : torch.device(name);
}
