using AlignFx.Reference;
using AlignFx.Tensors.Modules;
using AlignFx.Tensors.Tests.Reference;
using static AlignFx.Tensors.torch;

namespace AlignFx.Tensors.Tests.NN;

/// <summary>The causal self-attention module against a loop-by-loop computation, and generation through KV caches.</summary>
public sealed class AttentionTests
{
    [Fact]
    public void Attention_matches_a_loop_reference_and_is_causal()
    {
        const int B = 2, T = 5, D = 6, H = 3, HD = D / H;
        using var attn = nn.CausalSelfAttention(D, H, dtype: ScalarType.Float64, generator: new Generator(11));
        using var x = randn([B, T, D], ScalarType.Float64, generator: new Generator(12));
        using var y = attn.forward(x);

        double[] xs = x.ToArray<double>();
        double[] wq = attn.qkv.weight.data.ToArray<double>(), bq = attn.qkv.bias!.data.ToArray<double>();
        double[] wp = attn.proj.weight.data.ToArray<double>(), bp = attn.proj.bias!.data.ToArray<double>();
        var expected = new double[B * T * D];
        for (int b = 0; b < B; b++)
        {
            // qkv[t, j] = x[t] · W[j] + b[j]; q = qkv[:, 0:D], k = qkv[:, D:2D], v = qkv[:, 2D:3D].
            var qkv = new double[T, 3 * D];
            for (int t = 0; t < T; t++)
            {
                for (int j = 0; j < 3 * D; j++)
                {
                    double s = bq[j];
                    for (int i = 0; i < D; i++)
                    {
                        s += xs[(b * T + t) * D + i] * wq[j * D + i];
                    }
                    qkv[t, j] = s;
                }
            }
            var merged = new double[T, D];
            for (int h = 0; h < H; h++)
            {
                for (int t = 0; t < T; t++)
                {
                    var scores = new double[t + 1];
                    for (int u = 0; u <= t; u++)
                    {
                        double dot = 0;
                        for (int e = 0; e < HD; e++)
                        {
                            dot += qkv[t, h * HD + e] * qkv[u, D + h * HD + e];
                        }
                        scores[u] = dot / Math.Sqrt(HD);
                    }
                    double max = scores.Max();
                    double z = scores.Sum(s => Math.Exp(s - max));
                    for (int e = 0; e < HD; e++)
                    {
                        double acc = 0;
                        for (int u = 0; u <= t; u++)
                        {
                            acc += Math.Exp(scores[u] - max) / z * qkv[u, 2 * D + h * HD + e];
                        }
                        merged[t, h * HD + e] = acc;
                    }
                }
            }
            for (int t = 0; t < T; t++)
            {
                for (int o = 0; o < D; o++)
                {
                    double s = bp[o];
                    for (int i = 0; i < D; i++)
                    {
                        s += merged[t, i] * wp[o * D + i];
                    }
                    expected[(b * T + t) * D + o] = s;
                }
            }
        }
        double[] got = y.ToArray<double>();
        for (int i = 0; i < got.Length; i++)
        {
            Assert.Equal(expected[i], got[i], 1e-12);
        }
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-12)]
    [InlineData(ScalarType.Float32, 2e-6)]
    public void Generation_through_kv_caches_gives_the_logits_of_the_full_pass(ScalarType dtype, double tolerance)
    {
        var cfg = new GptConfig(vocab: 11, context: 12, d_model: 8, heads: 2, layers: 2);
        using var model = new TinyGpt(cfg, dtype, new Generator(21));
        model.eval();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var tokens = randint(0, cfg.vocab, [2, 10], generator: new Generator(22));
        var full = model.forward(tokens).to(ScalarType.Float64).ToArray<double>();

        // A 4-token prompt, then one token at a time; a small initial capacity makes the caches grow twice.
        var caches = Enumerable.Range(0, cfg.layers).Select(_ => new KVCache(capacity: 3)).ToArray();
        var pieces = new List<double[]>
        {
            model.forward(tokens.narrow(1, 0, 4).contiguous(), caches).to(ScalarType.Float64).ToArray<double>(),
        };
        for (int t = 4; t < 10; t++)
        {
            pieces.Add(model.forward(tokens.narrow(1, t, 1).contiguous(), caches).to(ScalarType.Float64).ToArray<double>());
        }
        Assert.All(caches, c => Assert.Equal(10, c.length));
        Assert.All(caches, c => Assert.True(c.capacity >= 10));

        // Reassemble [B, T, V] from the pieces ([B, 4, V] then [B, 1, V] each).
        int v = cfg.vocab;
        var cached = new double[2 * 10 * v];
        for (int b = 0; b < 2; b++)
        {
            for (int t = 0; t < 10; t++)
            {
                double[] piece = t < 4 ? pieces[0] : pieces[t - 3];
                int len = t < 4 ? 4 : 1, at = t < 4 ? t : 0;
                Array.Copy(piece, (b * len + at) * v, cached, (b * 10 + t) * v, v);
            }
        }
        double scale = full.Max(Math.Abs);
        for (int i = 0; i < full.Length; i++)
        {
            Assert.True(Math.Abs(full[i] - cached[i]) <= tolerance * scale, $"logit {i}: full {full[i]} cached {cached[i]}");
        }

        foreach (var c in caches)
        {
            c.reset();
            Assert.Equal(0, c.length);
            c.Dispose();
        }
    }

    [Theory]
    [InlineData(new long[] { 0, 2, 3 })] // finished rows dropped: moved within the storage
    [InlineData(new long[] { 1, 3 })]
    [InlineData(new long[] { 1, 1, 0, 2, 2 })] // a shared prefix copied to several rows: new storage
    [InlineData(new long[] { })]
    public void Selecting_cache_rows_keeps_those_rows_keys_and_values_and_appends_continue_them(long[] rows)
    {
        using var scope = NewDisposeScope();
        using var cache = new KVCache(capacity: 8);
        var k0 = randn([4, 2, 3, 2], generator: new Generator(31));
        var v0 = randn([4, 2, 3, 2], generator: new Generator(32));
        cache.Append(k0, v0);

        cache.select_rows(tensor(rows, [rows.Length]));
        var k1 = randn([rows.Length, 2, 1, 2], generator: new Generator(33));
        var v1 = randn([rows.Length, 2, 1, 2], generator: new Generator(34));
        var (keys, values) = cache.Append(k1, v1);

        Assert.Equal(4, cache.length);
        var index = tensor(rows, [rows.Length]);
        Assert.Equal(cat([k0.index_select(0, index), k1], 2).ToArray<float>(), keys.contiguous().ToArray<float>());
        Assert.Equal(cat([v0.index_select(0, index), v1], 2).ToArray<float>(), values.contiguous().ToArray<float>());
    }
}
