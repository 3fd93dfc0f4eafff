using AlignFx.Tensors.Backends.Cpu;
using FsCheck.Xunit;
using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Tests.Kernels;

/// <summary>
/// The forward kernels rewritten for speed must give the former kernels' float32 bits exactly (published numbers come
/// from them): the fused GELU against the former TensorPrimitives chain, kept as the reference.
/// </summary>
public sealed class ForwardKernelTests
{
    private static void AssertSameBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"element {i}: expected {expected[i]:R} (0x{BitConverter.SingleToInt32Bits(expected[i]):X8}), got {actual[i]:R} (0x{BitConverter.SingleToInt32Bits(actual[i]):X8})");
            }
        }
    }

    private static float[] Random(int n, float scale, int seed)
    {
        using var t = randn([n], generator: new Generator(seed));
        return [.. t.ToArray<float>().Select(v => v * scale)];
    }

    [Theory]
    [InlineData(1, 1f)]
    [InlineData(7, 3f)]
    [InlineData(8, 3f)]
    [InlineData(15, 0.1f)]
    [InlineData(1023, 1f)]
    [InlineData(1024, 2f)]
    [InlineData(1025, 4f)]
    [InlineData(4097, 10f)]
    [InlineData(262_144, 1f)]
    public void Fused_gelu_gives_the_former_kernels_bits_at_every_length(int n, float scale)
    {
        var x = Random(n, scale, n);
        var expected = new float[n];
        var actual = new float[n];
        GeluKernels.ErfForwardReference(x, expected);
        GeluKernels.ErfForward(x, actual);
        AssertSameBits(expected, actual);
    }

    [Fact]
    public void Fused_gelu_gives_the_former_kernels_bits_on_special_values()
    {
        float[] specials = [0f, -0f, float.Epsilon, -float.Epsilon, 1e-38f, -1e-38f, 1e-20f, 5f, -5f, 9.9f, -9.9f, 10f, -10f,
            13f, -13f, 20f, -20f, 1e10f, -1e10f, float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity];
        // Every special value at every position of a vector and of the scalar tail.
        var x = new float[specials.Length * 19];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = specials[i % specials.Length];
        }
        var expected = new float[x.Length];
        var actual = new float[x.Length];
        GeluKernels.ErfForwardReference(x, expected);
        GeluKernels.ErfForward(x, actual);
        AssertSameBits(expected, actual);
    }

    [Property(MaxTest = 300)]
    public void Fused_gelu_gives_the_former_kernels_bits_on_arbitrary_floats(float[] x)
    {
        x = [.. x.Where(v => !float.IsNaN(v))];
        var expected = new float[x.Length];
        var actual = new float[x.Length];
        GeluKernels.ErfForwardReference(x, expected);
        GeluKernels.ErfForward(x, actual);
        AssertSameBits(expected, actual);
    }

    [Fact]
    public void Fused_gelu_maps_nan_to_nan()
    {
        float[] x = [.. Enumerable.Repeat(float.NaN, 9), -float.NaN];
        var actual = new float[x.Length];
        GeluKernels.ErfForward(x, actual);
        Assert.All(actual, v => Assert.True(float.IsNaN(v)));
    }
}
