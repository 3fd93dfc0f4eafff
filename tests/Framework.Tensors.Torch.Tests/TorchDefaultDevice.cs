using System.Runtime.CompilerServices;
using AlignFx.Tensors.Torch;

namespace AlignFx.Tensors.Torch.Tests;

/// <summary>Every tensor this test assembly creates without naming a device lives on torch:cpu.</summary>
internal static class TorchDefaultDevice
{
    [ModuleInitializer]
    internal static void Use()
    {
        TorchBackends.Register();
        torch.set_default_device(TorchBackends.Cpu);
    }
}
