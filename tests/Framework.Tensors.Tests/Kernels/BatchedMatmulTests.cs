using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Tests.Kernels;

/// <summary>
/// A batched matmul whose batch dims do not fold into one stride (attention's heads, split out of a fused projection)
/// runs as one batched GEMM over the entries' offsets: each entry must be bitwise the 2-D product of its slices.
/// </summary>
public sealed class BatchedMatmulTests
{
    [Theory]
    [InlineData(32, 64, 128, 4, ScalarType.Float32)]   // the tiny GPT: B 32, T 64, d 128, 4 heads
    [InlineData(3, 5, 12, 3, ScalarType.Float32)]
    [InlineData(2, 70, 96, 2, ScalarType.Float64)]
    public void Attention_products_equal_the_per_entry_products_bit_for_bit(int b, int t, int d, int heads, ScalarType dtype)
    {
        int hd = d / heads;
        using var fused = randn([b, t, 3 * d], dtype, generator: new Generator(b * 100 + t));
        var parts = fused.split(d, 2);
        using var q = parts[0].reshape(b, t, heads, hd).transpose(1, 2);
        using var k = parts[1].reshape(b, t, heads, hd).transpose(1, 2);
        using var v = parts[2].reshape(b, t, heads, hd).transpose(1, 2);
        using var kt = k.transpose(-2, -1);
        using var scores = q.matmul(kt);            // [b, heads, t, t]
        using var probs = scores.softmax(-1);
        using var mixed = probs.matmul(v);           // [b, heads, t, hd]
        using var mixedT = probs.transpose(-2, -1).matmul(v);   // transposed left operand, as in the backward
        for (int i = 0; i < b; i++)
        {
            for (int h = 0; h < heads; h++)
            {
                using var qi = At(q, i, h);
                using var kti = At(kt, i, h);
                using var vi = At(v, i, h);
                using var pi = At(probs, i, h);
                using var pti = pi.transpose(0, 1);
                using var s2 = qi.matmul(kti);
                using var m2 = pi.matmul(vi);
                using var mt2 = pti.matmul(vi);
                using var s = At(scores, i, h);
                using var m = At(mixed, i, h);
                using var mt = At(mixedT, i, h);
                Assert.Equal(Bits(s2), Bits(s));
                Assert.Equal(Bits(m2), Bits(m));
                Assert.Equal(Bits(mt2), Bits(mt));
            }
        }
        foreach (var p in parts)
        {
            p.Dispose();
        }
    }

    private static Tensor At(Tensor t, int i, int h)
    {
        using var row = t.select(0, i);
        return row.select(0, h);
    }

    private static long[] Bits(Tensor t) => t.dtype == ScalarType.Float32
        ? [.. t.ToArray<float>().Select(x => (long)BitConverter.SingleToInt32Bits(x))]
        : [.. t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits)];
}
