using AlignFx.Tensors.Tests.Autograd;
using AlignFx.Tensors.Tests.Core;
using static AlignFx.Tensors.torch;
using F = AlignFx.Tensors.torch.nn.functional;

namespace AlignFx.Tensors.Tests.Kernels;

/// <summary>
/// The managed backend's tiled fused attention (Kernels/FlashAttention) against finite differences and against the
/// composed attention (matmul, scaled causal softmax, matmul), and the rule that decides which one runs.
/// </summary>
[Collection(Training.MemoryMeasurementCollection.Name)]
public sealed class FusedAttentionTests
{
    private static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, bool? fused) =>
        F.scaled_dot_product_attention(q, k, v, mask, is_causal: causal, fused: fused);

    /// <summary>A GPT-style additive key mask [B, 1, 1, Tk]: the first pad[b] keys of row b are removed with -1e9.</summary>
    private static Tensor PaddingMask(int[] pad, int tk, ScalarType dtype)
    {
        var values = new double[pad.Length * tk];
        for (int b = 0; b < pad.Length; b++)
        {
            for (int j = 0; j < pad[b]; j++)
            {
                values[b * tk + j] = -1e9;
            }
        }
        var m = tensor(values, [pad.Length, 1, 1, tk], ScalarType.Float64);
        return dtype == ScalarType.Float64 ? m : m.to(dtype);
    }

    [Theory]
    [InlineData(5, 5, false, false)]
    [InlineData(5, 5, true, false)]
    [InlineData(3, 7, true, false)]     // KV prefix: 4 cached keys before 3 queries
    [InlineData(4, 6, true, true)]      // KV prefix and left padding
    [InlineData(6, 6, false, true)]
    public void Fused_attention_gradients_match_finite_differences(int tq, int tk, bool causal, bool padded)
    {
        var q = GradCheck.Leaf(1, 2, 2, tq, 3);
        var k = GradCheck.Leaf(2, 2, 2, tk, 3);
        var v = GradCheck.Leaf(3, 2, 2, tk, 3);
        using var mask = padded ? PaddingMask([0, 2], tk, ScalarType.Float64) : null;
        GradCheck.Check(l => Attend(l[0], l[1], l[2], mask, causal, fused: true), [q, k, v]);
    }

    [Fact]
    public void Fused_attention_gradients_match_finite_differences_across_tiles()
    {
        // 70 queries after 60 cached keys: two query tiles, three key tiles, the causal edge inside a tile.
        var q = GradCheck.Leaf(4, 1, 1, 70, 2);
        var k = GradCheck.Leaf(5, 1, 1, 130, 2);
        var v = GradCheck.Leaf(6, 1, 1, 130, 2);
        using var mask = tensor(Enumerable.Range(0, 130).Select(j => j % 17 != 3).ToArray(), [1, 1, 1, 130]);
        GradCheck.Check(l => Attend(l[0], l[1], l[2], mask, causal: true, fused: true), [q, k, v]);
    }

    public static TheoryData<int, int, bool, int> FloatCases => new()
    {
        // Tq, Tk, causal, padding of batch row 1 (0: no mask)
        { 64, 64, true, 0 },
        { 1024, 1024, true, 0 },
        { 1024, 1024, true, 100 },
        { 200, 1024, true, 30 },    // KV prefix of 824
        { 1, 300, false, 7 },       // one sampled token over a cache
        { 100, 100, false, 0 },
    };

    [Theory]
    [MemberData(nameof(FloatCases))]
    public void Fused_attention_agrees_with_the_composed_path_in_float32(int tq, int tk, bool causal, int pad)
    {
        const int B = 2, H = 2, D = 32;
        var g = new Generator(7);
        using var q = randn([B, H, tq, D], generator: g).requires_grad_();
        using var k = randn([B, H, tk, D], generator: g).requires_grad_();
        using var v = randn([B, H, tk, D], generator: g).requires_grad_();
        using var up = randn([B, H, tq, D], generator: g);
        using var mask = pad > 0 ? PaddingMask([0, pad], tk, ScalarType.Float32) : null;

        (float[] y, float[] dq, float[] dk, float[] dv) Run(bool fused)
        {
            q.grad = k.grad = v.grad = null;
            using var y = Attend(q, k, v, mask, causal, fused);
            using var loss = (y * up).sum();
            loss.backward();
            return (y.ToArray<float>(), q.grad!.ToArray<float>(), k.grad!.ToArray<float>(), v.grad!.ToArray<float>());
        }

        var composed = Run(false);
        var fused = Run(true);
        Close(composed.y, fused.y, 2e-5);
        Close(composed.dq, fused.dq, 5e-5);
        Close(composed.dk, fused.dk, 5e-5);
        Close(composed.dv, fused.dv, 5e-5);
    }

    private static void Close(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1, expected.Max(x => Math.Abs(x)));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale,
                $"element {i}: composed {expected[i]:R}, fused {actual[i]:R}");
        }
    }

    [Fact]
    public void Fused_attention_allocates_no_T_by_T_buffer()
    {
        const int T = 2048, D = 16;
        long scores = (long)T * T * sizeof(float);
        var g = new Generator(3);
        using var q = randn([1, 1, T, D], generator: g).requires_grad_();
        using var k = randn([1, 1, T, D], generator: g).requires_grad_();
        using var v = randn([1, 1, T, D], generator: g).requires_grad_();

        long Allocated(bool fused)
        {
            empty_cache();
            q.grad = k.grad = v.grad = null;
            long before = GC.GetTotalAllocatedBytes(precise: true);
            using (var y = Attend(q, k, v, null, causal: true, fused))
            using (var loss = y.sum())
            {
                loss.backward();
            }
            return GC.GetTotalAllocatedBytes(precise: true) - before;
        }

        long composed = Allocated(false);
        long fused = Allocated(true);
        // The composed path holds the scores and the probabilities (and their gradients); the tiled kernel only
        // O(T·d) copies, row statistics and 64 x 64 tiles.
        Assert.True(composed >= scores, $"composed attention allocated {composed} bytes, less than one T x T matrix ({scores})");
        Assert.True(fused < scores / 8, $"fused attention allocated {fused} bytes; one T x T matrix is {scores}");
    }

    [Fact]
    public void Without_a_request_short_contexts_keep_the_composed_path_bit_for_bit()
    {
        var g = new Generator(9);
        using var q = randn([2, 4, 128, 32], generator: g);
        using var k = randn([2, 4, 128, 32], generator: g);
        using var v = randn([2, 4, 128, 32], generator: g);
        using var mask = PaddingMask([0, 5], 128, ScalarType.Float32);
        using var auto = Attend(q, k, v, mask, true, null);
        using var composed = Attend(q, k, v, mask, true, false);
        using var fused = Attend(q, k, v, mask, true, true);
        Assert.Equal(composed.ToArray<float>(), auto.ToArray<float>());
        Assert.NotEqual(composed.ToArray<float>(), fused.ToArray<float>());
    }

    [Fact]
    public void From_the_key_threshold_on_attention_is_fused_unless_composed_is_asked_for()
    {
        var g = new Generator(10);
        using var q = randn([1, 2, 8, 16], generator: g);
        using var k = randn([1, 2, 1024, 16], generator: g);
        using var v = randn([1, 2, 1024, 16], generator: g);
        using var auto = Attend(q, k, v, null, true, null);
        using var fused = Attend(q, k, v, null, true, true);
        using var composed = Attend(q, k, v, null, true, false);
        Assert.Equal(fused.ToArray<float>(), auto.ToArray<float>());
        Assert.NotEqual(composed.ToArray<float>(), auto.ToArray<float>());
        using var shorter = k.narrow(2, 0, 1023);
        using var shorterV = v.narrow(2, 0, 1023);
        using var below = Attend(q, shorter, shorterV, null, true, null);
        using var belowComposed = Attend(q, shorter, shorterV, null, true, false);
        Assert.Equal(belowComposed.ToArray<float>(), below.ToArray<float>());
    }

    [Theory]
    [InlineData(3, 2, 150, 150)] // more batch-heads than threads: the backward splits by head
    [InlineData(1, 1, 200, 200)] // one long sequence: the backward splits key tiles, then query tiles
    [InlineData(1, 1, 130, 200)] // the same behind a KV prefix
    public void Fused_attention_is_bitwise_the_same_at_any_thread_count(int batch, int heads, int tq, int tk)
    {
        float[][] Run(int threads)
        {
            var threadsSetting = new NumThreads(threads);
            try
            {
                var g = new Generator(12);
                using var q = randn([batch, heads, tq, 16], generator: g).requires_grad_();
                using var k = randn([batch, heads, tk, 16], generator: g).requires_grad_();
                using var v = randn([batch, heads, tk, 16], generator: g).requires_grad_();
                using var y = Attend(q, k, v, null, true, true);
                using var loss = y.square().sum();
                loss.backward();
                return [y.ToArray<float>(), q.grad!.ToArray<float>(), k.grad!.ToArray<float>(), v.grad!.ToArray<float>()];
            }
            finally
            {
                threadsSetting.Dispose();
            }
        }

        var one = Run(1);
        var three = Run(3);
        for (int i = 0; i < one.Length; i++)
        {
            Assert.Equal(one[i], three[i]);
        }
    }
}
