using AlignFx.Tensors;
using AlignFx.Tensors.Modules;
using static AlignFx.Tensors.torch;
using static AlignFx.Tensors.torch.nn;

namespace AlignFx.LanguageModels;

/// <summary>The shape of a <see cref="GptModel"/> (saved as a checkpoint's JSON config).</summary>
/// <param name="Vocabulary">Token ids.</param>
/// <param name="Context">The longest sequence (position embeddings).</param>
/// <param name="DModel">Model width.</param>
/// <param name="Heads">Attention heads (divides <paramref name="DModel"/>).</param>
/// <param name="Layers">Transformer blocks.</param>
/// <param name="Dropout">Dropout on embeddings, attention output and MLP output while training.</param>
/// <param name="TiedHead">The LM head reuses the token embedding matrix.</param>
/// <param name="ValueHead">A scalar value head on the final hidden states (actor–critic methods).</param>
public sealed record GptConfig(int Vocabulary, int Context, int DModel, int Heads, int Layers, double Dropout, bool TiedHead, bool ValueHead);

/// <summary>
/// A decoder-only transformer: token + position embeddings, pre-LayerNorm blocks of causal multi-head attention and a
/// GELU MLP, a final LayerNorm, an LM head (tied or untied) and an optional value head.
/// </summary>
public sealed class GptModel : Module<Tensor, Tensor>
{
    /// <summary>An additive attention mask value that removes a key without producing NaN in an all-masked row.</summary>
    internal const double MaskedScore = -1e9;

    private readonly Embedding tok_emb;
    private readonly Embedding pos_emb;
    private readonly Dropout drop;
    private readonly ModuleList<GptBlock> blocks;
    private readonly LayerNorm ln_f;
    private readonly Linear? lm_head;
    private readonly Linear? value_head;

    /// <summary>Creates a model with weights drawn from <paramref name="generator"/>.</summary>
    /// <param name="config">The shape.</param>
    /// <param name="generator">The initialisation and dropout stream.</param>
    public GptModel(GptConfig config, Generator? generator = null) : base(nameof(GptModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        tok_emb = nn.Embedding(config.Vocabulary, config.DModel, ScalarType.Float32, generator);
        pos_emb = nn.Embedding(config.Context, config.DModel, ScalarType.Float32, generator);
        drop = nn.Dropout(config.Dropout, generator);
        blocks = nn.ModuleList([.. Enumerable.Range(0, config.Layers).Select(_ => new GptBlock(config, attention, generator))]);
        ln_f = nn.LayerNorm(config.DModel);
        lm_head = config.TiedHead ? null : nn.Linear(config.DModel, config.Vocabulary, hasBias: false, ScalarType.Float32, generator);
        value_head = config.ValueHead ? nn.Linear(config.DModel, 1, hasBias: true, ScalarType.Float32, generator) : null;
        using (no_grad())
        {
            // GPT-2 scale for embeddings: unit-variance embeddings swamp a tied head's logits.
            ((Tensor)tok_emb.weight).mul_(0.02);
            ((Tensor)pos_emb.weight).mul_(0.02);
        }
        RegisterComponents();
    }

    /// <summary>The shape.</summary>
    public GptConfig Config { get; }

    /// <summary>Which attention kernel the blocks ask for (<see cref="GptAttentionKernel.Auto"/>: the backend chooses).</summary>
    public GptAttentionKernel Attention
    {
        get => attention.Kernel;
        set => attention.Kernel = value;
    }

    private readonly AttentionChoice attention = new();

    /// <summary>Shared by the model and its blocks, so setting <see cref="Attention"/> reaches every layer.</summary>
    private sealed class AttentionChoice
    {
        public GptAttentionKernel Kernel { get; set; }

        public bool? Fused => Kernel switch
        {
            GptAttentionKernel.Fused => true,
            GptAttentionKernel.Composed => false,
            _ => null,
        };
    }

    /// <summary>Number of parameters.</summary>
    public long ParameterCount => parameters().Sum(p => ((Tensor)p).numel());

    /// <summary>Logits [B, T, vocabulary] of tokens [B, T] at positions 0..T-1.</summary>
    /// <param name="input">Token ids, int64 [B, T].</param>
    /// <returns>The logits.</returns>
    public override Tensor forward(Tensor input)
    {
        using var h = Hidden(input);
        return Logits(h);
    }

    /// <summary>
    /// The final hidden states [B, T, d] (after the last LayerNorm).
    /// </summary>
    /// <param name="tokens">Token ids, int64 [B, T].</param>
    /// <param name="positions">Position ids, int64 [B, T]; null: the cache length onwards (0 without a cache).</param>
    /// <param name="keyMask">Additive float mask [B, 1, 1, keys] (0 keeps a key, <see cref="MaskedScore"/> removes it), or null.</param>
    /// <param name="caches">One cache per block for incremental decoding, or null.</param>
    /// <returns>The hidden states.</returns>
    public Tensor Hidden(Tensor tokens, Tensor? positions = null, Tensor? keyMask = null, KVCache[]? caches = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        long t = tokens.size(1);
        long start = caches is null ? 0 : caches[0].length;
        if (positions is null && start + t > Config.Context)
        {
            throw new ArgumentException($"A sequence of {start + t} tokens exceeds the context of {Config.Context}.");
        }
        using var pos = positions is null ? arange(start, start + t, dtype: ScalarType.Int64) : null;
        using var tok = tok_emb.forward(tokens);
        using var pe = pos_emb.forward(positions ?? pos!);
        using var sum = tok + pe;
        var x = drop.forward(sum);
        for (int i = 0; i < blocks.Count; i++)
        {
            var next = blocks[i].forward(x, keyMask, caches?[i]);
            x.Dispose();
            x = next;
        }
        using (x)
        {
            return ln_f.forward(x);
        }
    }

    /// <summary>The LM head: logits [..., vocabulary] of hidden states [..., d].</summary>
    /// <param name="hidden">Hidden states.</param>
    /// <returns>The logits.</returns>
    public Tensor Logits(Tensor hidden) =>
        lm_head is null ? functional.linear(hidden, tok_emb.weight) : lm_head.forward(hidden);

    /// <summary>The value head: one value per position, [B, T], of hidden states [B, T, d].</summary>
    /// <param name="hidden">Hidden states.</param>
    /// <returns>The values.</returns>
    /// <exception cref="InvalidOperationException">The model has no value head.</exception>
    public Tensor Values(Tensor hidden)
    {
        if (value_head is null)
        {
            throw new InvalidOperationException("This GPT has no value head: set the policy option valueHead.");
        }
        using var v = value_head.forward(hidden);
        return v.squeeze(-1);
    }

    /// <summary>A new model with the same shape and a copy of this model's weights.</summary>
    /// <returns>The copy.</returns>
    public GptModel Copy()
    {
        // A private generator: the copy's initial weights are overwritten, and drawing them must not move the default stream.
        var copy = new GptModel(Config, new Generator(0));
        copy.load_state_dict(state_dict());
        copy.Attention = Attention;
        copy.train(training);
        return copy;
    }

    private sealed class GptBlock : Module<Tensor, Tensor>
    {
        private readonly LayerNorm ln1;
        private readonly MaskedSelfAttention attn;
        private readonly LayerNorm ln2;
        private readonly Linear fc;
        private readonly Linear proj;
        private readonly Dropout drop;

        public GptBlock(GptConfig config, AttentionChoice choice, Generator? generator) : base(nameof(GptBlock))
        {
            ln1 = nn.LayerNorm(config.DModel);
            attn = new MaskedSelfAttention(config, choice, generator);
            ln2 = nn.LayerNorm(config.DModel);
            fc = nn.Linear(config.DModel, 4 * config.DModel, dtype: ScalarType.Float32, generator: generator);
            proj = nn.Linear(4 * config.DModel, config.DModel, dtype: ScalarType.Float32, generator: generator);
            drop = nn.Dropout(config.Dropout, generator);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => forward(input, null, null);

        public Tensor forward(Tensor x, Tensor? keyMask, KVCache? cache)
        {
            using var a = ln1.forward(x);
            // Dropout may hand back its input (p = 0 or eval): disposing both is safe, disposal is idempotent.
            using var attended = attn.forward(a, keyMask, cache);
            using var at = drop.forward(attended);
            using var x1 = x + at;
            using var b = ln2.forward(x1);
            using var h = fc.forward(b);
            using var g = h.gelu();
            using var m = proj.forward(g);
            using var md = drop.forward(m);
            return x1 + md;
        }
    }

    /// <summary>Causal self-attention that also takes a key mask (left padding in batched generation).</summary>
    private sealed class MaskedSelfAttention : Module<Tensor, Tensor>
    {
        private readonly Linear qkv;
        private readonly Linear proj;
        private readonly long dModel;
        private readonly long heads;
        private readonly AttentionChoice choice;

        public MaskedSelfAttention(GptConfig config, AttentionChoice choice, Generator? generator) : base(nameof(MaskedSelfAttention))
        {
            this.choice = choice;
            if (config.Heads <= 0 || config.DModel % config.Heads != 0)
            {
                throw new ArgumentException($"dModel {config.DModel} must be a positive multiple of heads {config.Heads}.");
            }
            dModel = config.DModel;
            heads = config.Heads;
            qkv = nn.Linear(dModel, 3 * dModel, dtype: ScalarType.Float32, generator: generator);
            proj = nn.Linear(dModel, dModel, dtype: ScalarType.Float32, generator: generator);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => forward(input, null, null);

        public Tensor forward(Tensor input, Tensor? keyMask, KVCache? cache)
        {
            long b = input.size(0), t = input.size(1), hd = dModel / heads;
            using var fused = qkv.forward(input);
            var parts = fused.split(dModel, 2);
            using var q = SplitHeads(parts[0], b, t, hd);
            using var k = SplitHeads(parts[1], b, t, hd);
            using var v = SplitHeads(parts[2], b, t, hd);
            foreach (var p in parts)
            {
                p.Dispose();
            }
            Tensor y;
            if (cache is null)
            {
                y = functional.scaled_dot_product_attention(q, k, v, keyMask, is_causal: true, fused: choice.Fused);
            }
            else
            {
                var (keys, values) = cache.Append(k, v);
                using (keys)
                using (values)
                {
                    // One new query may see every cached key: the causal mask would block nothing.
                    y = functional.scaled_dot_product_attention(q, keys, values, keyMask, is_causal: t > 1, fused: choice.Fused);
                }
            }
            using (y)
            using (var yt = y.transpose(1, 2))
            using (var merged = yt.reshape(b, t, dModel))
            {
                return proj.forward(merged);
            }
        }

        private Tensor SplitHeads(Tensor x, long b, long t, long hd)
        {
            using var r = x.reshape(b, t, heads, hd);
            return r.transpose(1, 2);
        }
    }
}
