using AlignFx.Tensors.Kernels;

namespace AlignFx.Tensors.Tests.Kernels;

public sealed class GemmBatchedTests
{
    public static TheoryData<int, int, int, bool, bool, int, bool> Cases => new()
    {
        // m, n, k, transA, transB, batch, broadcast B (stride 0)
        { 64, 64, 32, false, true, 16, false },   // attention scores: Q K^T per head
        { 64, 32, 64, false, false, 9, false },   // attention output: P V
        { 5, 7, 300, true, false, 4, true },      // deep k, shared B, transposed A
        { 130, 70, 90, false, false, 3, false },  // entries large enough to thread inside
        { 3, 1, 2, true, true, 7, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_entry_is_bitwise_the_single_product(int m, int n, int k, bool ta, bool tb, int batch, bool broadcastB)
    {
        var random = new Random(m * 31 + n * 7 + k);
        int lda = (ta ? m : k) + 3, ldb = tb ? k : n, ldc = n + 1;
        long strideA = (long)(ta ? k : m) * lda + 5;
        long strideB = broadcastB ? 0 : (long)(tb ? n : k) * ldb;
        long strideC = (long)m * ldc + 2;
        float[] a = Values(random, (int)(strideA * batch));
        float[] b = Values(random, (int)Math.Max(strideB * batch, (long)(tb ? n : k) * ldb));
        float[] c0 = Values(random, (int)(strideC * batch));

        float[] expected = (float[])c0.Clone();
        for (int i = 0; i < batch; i++)
        {
            Gemm.Multiply(new GemmOptions(Threads: 1), ta, tb, m, n, k, 0.5f,
                a.AsSpan((int)(i * strideA)), lda, b.AsSpan((int)(i * strideB)), ldb, -1f, expected.AsSpan((int)(i * strideC)), ldc);
        }

        foreach (var options in new[] { GemmOptions.Default, new GemmOptions(Threads: 1), new GemmOptions(Threads: 2), new GemmOptions(Threads: 3) })
        {
            float[] c = (float[])c0.Clone();
            Gemm.MultiplyBatched(options, ta, tb, m, n, k, 0.5f, a, lda, strideA, b, ldb, strideB, -1f, c, ldc, strideC, batch);
            Assert.True(expected.AsSpan().SequenceEqual(c), $"batched result differs with {options}");
        }
    }

    [Fact]
    public void Overlapping_or_short_outputs_are_rejected()
    {
        float[] a = new float[4 * 4 * 2], b = new float[4 * 4 * 2], c = new float[4 * 4 * 2];
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.SgemmStridedBatched(false, false, 4, 4, 4, 1f, a, 4, 16, b, 4, 16, 0f, c, 4, 8, 2));
        Assert.Throws<ArgumentException>(() =>
            Gemm.SgemmStridedBatched(false, false, 4, 4, 4, 1f, a, 4, 16, b, 4, 16, 0f, c, 4, 16, 3));
    }

    private static float[] Values(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }
}
