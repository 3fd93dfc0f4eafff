using TS = TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AlignFx.Benchmarks;

/// <summary>
/// The tiny GPT of bench/reference written directly in TorchSharp (libtorch's autograd, fused layer norm and
/// scaled-dot-product attention): the peer our two backends are measured against. Functional style over named
/// parameters, so it loads our TinyGpt's state_dict by name and starts from the same weights.
/// </summary>
internal sealed class TorchSharpTinyGpt : IDisposable
{
    private readonly Dictionary<string, TorchSharp.Modules.Parameter> p = new(StringComparer.Ordinal);
    private readonly int layers, heads, dModel;

    public TorchSharpTinyGpt(IReadOnlyDictionary<string, (float[] Values, long[] Shape)> weights, int layers, int heads, int dModel)
    {
        this.layers = layers;
        this.heads = heads;
        this.dModel = dModel;
        foreach (var (name, (values, shape)) in weights)
        {
            p[name] = new TorchSharp.Modules.Parameter(TS.tensor(values, shape));
        }
    }

    public IEnumerable<TorchSharp.Modules.Parameter> Parameters => p.Values;

    private TS.Tensor W(string name) => p[name];

    private TS.Tensor? B(string name) => p.TryGetValue(name, out var b) ? b : null;

    /// <summary>Each layer's cached keys and values [B, heads, T, d_head] for sampling (null before the first call).</summary>
    public sealed class Cache(int layers)
    {
        public TS.Tensor?[] Keys { get; } = new TS.Tensor?[layers];

        public TS.Tensor?[] Values { get; } = new TS.Tensor?[layers];

        public long Length => Keys[0] is { } k ? k.shape[2] : 0;
    }

    /// <summary>Logits [B, T, vocab] for token ids [B, T]; with a cache the tokens continue its positions.</summary>
    public TS.Tensor Forward(TS.Tensor idx, Cache? cache = null)
    {
        long b = idx.shape[0], t = idx.shape[1];
        long start = cache?.Length ?? 0;
        using var pos = TS.arange(start, start + t, dtype: TS.ScalarType.Int64);
        var x = W("tok_emb.weight").index_select(0, idx.reshape(-1)).reshape(b, t, dModel) + W("pos_emb.weight").index_select(0, pos);
        for (int i = 0; i < layers; i++)
        {
            string pre = $"blocks.{i}.";
            var a = F.layer_norm(x, [dModel], W(pre + "ln1.weight"), B(pre + "ln1.bias"), 1e-5);
            var qkv = F.linear(a, W(pre + "attn.qkv.weight"), B(pre + "attn.qkv.bias"));
            var parts = qkv.split(dModel, 2);
            TS.Tensor Heads(TS.Tensor z) => z.view(b, t, heads, dModel / heads).transpose(1, 2);
            TS.Tensor keys = Heads(parts[1]), values = Heads(parts[2]);
            if (cache is not null)
            {
                TS.Tensor? oldKeys = cache.Keys[i], oldValues = cache.Values[i];
                keys = oldKeys is null ? keys : TS.cat([oldKeys, keys], 2);
                values = oldValues is null ? values : TS.cat([oldValues, values], 2);
                cache.Keys[i] = keys;
                cache.Values[i] = values;
            }
            // A single new token sees every cached key: no mask; a prompt is causal over itself.
            var y = F.scaled_dot_product_attention(Heads(parts[0]), keys, values, is_casual: t > 1);
            y = y.transpose(1, 2).contiguous().view(b, t, dModel);
            x = x + F.linear(y, W(pre + "attn.proj.weight"), B(pre + "attn.proj.bias"));
            var m = F.layer_norm(x, [dModel], W(pre + "ln2.weight"), B(pre + "ln2.bias"), 1e-5);
            m = F.linear(F.gelu(F.linear(m, W(pre + "mlp.fc.weight"), B(pre + "mlp.fc.bias"))), W(pre + "mlp.proj.weight"), B(pre + "mlp.proj.bias"));
            x = x + m;
        }
        x = F.layer_norm(x, [dModel], W("ln_f.weight"), B("ln_f.bias"), 1e-5);
        return F.linear(x, W("lm_head.weight"));
    }

    public static TS.Tensor Loss(TS.Tensor logits, TS.Tensor targets) =>
        F.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets.reshape(-1), ignore_index: -100);

    public void Dispose()
    {
        foreach (var t in p.Values)
        {
            t.Dispose();
        }
    }
}
