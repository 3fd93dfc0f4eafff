using AlignFx.Tensors.Modules;
using static AlignFx.Tensors.torch;
using static AlignFx.Tensors.torch.nn;

namespace AlignFx.Reference;

/// <summary>The shape of the small GPT of bench/reference/tiny_gpt.py.</summary>
internal sealed record GptConfig(int vocab, int context, int d_model, int heads, int layers);

/// <summary>
/// The C# twin of bench/reference/tiny_gpt.py (compiled into the fixture tests and the train-step benchmark): tiny_gpt.py rebuilt from the nn modules, with the same parameter names (the field names):
/// token + position embeddings, pre-LayerNorm blocks of causal attention and a GELU MLP, final LayerNorm, untied head.
/// </summary>
internal sealed class TinyGpt : Module<Tensor, Tensor>
{
    private readonly Embedding tok_emb;
    private readonly Embedding pos_emb;
    private readonly ModuleList<Block> blocks;
    private readonly LayerNorm ln_f;
    private readonly Linear lm_head;

    public TinyGpt(GptConfig cfg, ScalarType dtype = ScalarType.Float32, Generator? generator = null) : base(nameof(TinyGpt))
    {
        Config = cfg;
        tok_emb = nn.Embedding(cfg.vocab, cfg.d_model, dtype, generator);
        pos_emb = nn.Embedding(cfg.context, cfg.d_model, dtype, generator);
        blocks = nn.ModuleList([.. Enumerable.Range(0, cfg.layers).Select(_ => new Block(cfg, dtype, generator))]);
        ln_f = nn.LayerNorm(cfg.d_model, 1e-5, dtype: dtype);
        lm_head = nn.Linear(cfg.d_model, cfg.vocab, hasBias: false, dtype, generator);
        RegisterComponents();
    }

    public GptConfig Config { get; }

    public override Tensor forward(Tensor input) => forward(input, null);

    /// <summary>Logits [B, T, vocab]; with caches (one per block) the tokens continue the cached positions.</summary>
    public Tensor forward(Tensor idx, KVCache[]? caches)
    {
        long t = idx.size(1);
        long start = caches is null ? 0 : caches[0].length;
        using var pos = arange(start, start + t, dtype: ScalarType.Int64);
        using var tok = tok_emb.forward(idx);
        using var pe = pos_emb.forward(pos);
        var x = tok + pe;
        for (int i = 0; i < blocks.Count; i++)
        {
            var next = blocks[i].forward(x, caches?[i]);
            x.Dispose();
            x = next;
        }
        using (x)
        using (var h = ln_f.forward(x))
        {
            return lm_head.forward(h);
        }
    }

    internal sealed class Block : Module<Tensor, Tensor>
    {
        private readonly LayerNorm ln1;
        private readonly CausalSelfAttention attn;
        private readonly LayerNorm ln2;
        private readonly Mlp mlp;

        public Block(GptConfig cfg, ScalarType dtype, Generator? generator) : base(nameof(Block))
        {
            ln1 = nn.LayerNorm(cfg.d_model, 1e-5, dtype: dtype);
            attn = nn.CausalSelfAttention(cfg.d_model, cfg.heads, dtype: dtype, generator: generator);
            ln2 = nn.LayerNorm(cfg.d_model, 1e-5, dtype: dtype);
            mlp = new Mlp(cfg, dtype, generator);
        }

        public override Tensor forward(Tensor input) => forward(input, null);

        public Tensor forward(Tensor x, KVCache? cache)
        {
            using var a = ln1.forward(x);
            using var at = attn.forward(a, cache);
            using var x1 = x + at;
            using var b = ln2.forward(x1);
            using var m = mlp.forward(b);
            return x1 + m;
        }
    }

    internal sealed class Mlp : Module<Tensor, Tensor>
    {
        private readonly Linear fc;
        private readonly Linear proj;

        public Mlp(GptConfig cfg, ScalarType dtype, Generator? generator) : base(nameof(Mlp))
        {
            fc = nn.Linear(cfg.d_model, 4 * cfg.d_model, dtype: dtype, generator: generator);
            proj = nn.Linear(4 * cfg.d_model, cfg.d_model, dtype: dtype, generator: generator);
        }

        public override Tensor forward(Tensor input)
        {
            using var h = fc.forward(input);
            using var g = h.gelu();
            return proj.forward(g);
        }
    }
}

/// <summary>The language-model loss of tiny_gpt.py: mean cross-entropy over targets that are not -100.</summary>
internal static class LmLoss
{
    public static Tensor Compute(Tensor logits, Tensor targets)
    {
        using var flat = logits.reshape(-1, logits.size(-1));
        using var t = targets.reshape(-1);
        return functional.cross_entropy(flat, t, ignore_index: -100);
    }
}
