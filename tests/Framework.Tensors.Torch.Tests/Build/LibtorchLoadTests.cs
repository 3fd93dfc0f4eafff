using static AlignFx.Tensors.torch;
using TS = TorchSharp.torch;

namespace AlignFx.Tensors.Torch.Tests.Build;

/// <summary>TorchSharp's native shim and libtorch load from the build output (with the load fix on older systems) and compute.</summary>
public sealed class LibtorchLoadTests
{
    [Fact]
    public void Libtorch_loads_from_the_build_output_and_its_matmul_equals_the_managed_backends()
    {
        var g = new Generator(7);
        var a = randn(64, 48, device: CPU, generator: g);
        var b = randn(48, 32, device: CPU, generator: g);
        float[] expected = a.matmul(b).ToArray<float>();

        using var ta = TS.tensor(a.ToArray<float>(), [64, 48]);
        using var tb = TS.tensor(b.ToArray<float>(), [48, 32]);
        using var tc = ta.matmul(tb);
        float[] actual = tc.data<float>().ToArray();

        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"element {i}: {expected[i]} vs {actual[i]}");
        }
    }

    [Fact]
    public void The_shim_in_the_build_output_needs_no_libstdcxx_version_this_system_lacks_unless_marked_weak()
    {
        string shim = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(shim), shim);
        byte[] elf = File.ReadAllBytes(shim);
        string dir = Path.GetDirectoryName(shim)!;

        var missing = AlignFx.BuildTools.ElfVersionNeeds.Missing(elf, file =>
        {
            string? found = AlignFx.BuildTools.ElfVersionNeeds.Locate(file, dir, 62);
            return found is null ? null : AlignFx.BuildTools.ElfVersionNeeds.DefinedVersions(File.ReadAllBytes(found));
        });

        Assert.All(missing, m => Assert.True(m.Weak && m.UsedSymbols.Count == 0, $"{m.File} {m.Version}"));
    }
}
