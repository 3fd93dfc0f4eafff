using AlignFx.Tensors.Backends.Cpu;
using FsCheck.Xunit;
using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Tests.Kernels;

/// <summary>
/// The forward kernels rewritten for speed must give the former kernels' float32 bits exactly (published numbers come
/// from them): the fused GELU against the former TensorPrimitives chain, kept as the reference; attention's heads-last
/// product and the attention layer against plain matmul and the public attention function.
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

    private static void AssertSameBits(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        AssertSameBits(expected.ToArray<float>(), actual.ToArray<float>());
    }

    [Theory]
    [InlineData(32, 64, 128, 4)]   // the tiny GPT
    [InlineData(3, 5, 12, 3)]
    [InlineData(2, 70, 96, 2)]
    public void Heads_last_attention_product_equals_matmul_bit_for_bit(int b, int t, int d, int heads)
    {
        int hd = d / heads;
        using var scope = NewDisposeScope();
        var fused = randn([b, t, 3 * d], generator: new Generator(b + t));
        var parts = fused.split(d, 2);
        var v = parts[2].reshape(b, t, heads, hd).transpose(1, 2);
        var probs = randn([b, heads, t, t], generator: new Generator(7)).softmax(-1);
        var expected = probs.matmul(v);
        var actual = probs.MatMulHeadsLast(v);
        Assert.False(actual.is_contiguous());
        AssertSameBits(expected, actual);
        // Merging the heads is a view of the product's buffer, with the copy's values.
        var merged = actual.transpose(1, 2).reshape(b, t, d);
        Assert.True(merged.is_contiguous());
        AssertSameBits(expected.transpose(1, 2).reshape(b, t, d), merged);
    }

    [Fact]
    public void Attention_layer_forward_and_gradients_equal_the_public_composition_bit_for_bit()
    {
        const int b = 4, t = 24, d = 32, heads = 4, hd = d / heads;
        using var scope = NewDisposeScope();
        var attn = nn.CausalSelfAttention(d, heads, generator: new Generator(3));
        var x1 = randn([b, t, d], generator: new Generator(4)).requires_grad_();
        var y1 = attn.forward(x1);
        (y1 * y1).sum().backward();
        var layerGrads = attn.parameters().Select(p => p.grad!.ToArray<float>()).ToArray();
        attn.zero_grad();

        var x2 = x1.detach().clone().requires_grad_();
        var qkv = nn.functional.linear(x2, attn.qkv.weight, attn.qkv.bias is null ? null : (Tensor)attn.qkv.bias);
        var parts = qkv.split(d, 2);
        var q = parts[0].reshape(b, t, heads, hd).transpose(1, 2);
        var k = parts[1].reshape(b, t, heads, hd).transpose(1, 2);
        var v = parts[2].reshape(b, t, heads, hd).transpose(1, 2);
        var y = nn.functional.scaled_dot_product_attention(q, k, v, is_causal: true);
        var y2 = attn.proj.forward(y.transpose(1, 2).reshape(b, t, d));
        (y2 * y2).sum().backward();

        AssertSameBits(y2, y1);
        AssertSameBits(x2.grad!, x1.grad!);
        var composedGrads = attn.parameters().Select(p => p.grad!.ToArray<float>()).ToArray();
        for (int i = 0; i < layerGrads.Length; i++)
        {
            AssertSameBits(composedGrads[i], layerGrads[i]);
        }
    }
}
