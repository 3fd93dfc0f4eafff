using System.ComponentModel.DataAnnotations;

namespace AlignFx.LanguageModels;

/// <summary>Options of the <c>gpt</c> policy.</summary>
public sealed class GptOptions
{
    /// <summary>Transformer blocks.</summary>
    [Range(1, 96)]
    public int Layers { get; set; } = 4;

    /// <summary>Model width (a multiple of <see cref="Heads"/>).</summary>
    [Range(8, 8192)]
    public int DModel { get; set; } = 128;

    /// <summary>Attention heads.</summary>
    [Range(1, 128)]
    public int Heads { get; set; } = 4;

    /// <summary>The longest sequence (prompt, separator, response and end token).</summary>
    [Range(8, 65536)]
    public int Context { get; set; } = 128;

    /// <summary>Dropout while training.</summary>
    [Range(0.0, 0.9)]
    public double Dropout { get; set; }

    /// <summary>The LM head reuses the token embeddings.</summary>
    public bool TiedHead { get; set; }

    /// <summary>Add a scalar value head (actor–critic optimisers ask for values through ScoreTokens).</summary>
    public bool ValueHead { get; set; }

    /// <summary>
    /// The vocabulary of a new policy: <c>char</c> (the task's characters) or <c>gpt2</c> (GPT-2's byte-level BPE through
    /// Microsoft.ML.Tokenizers; 50,262 ids with the special tokens, so the embedding and output layers grow accordingly).
    /// A checkpoint brings its own tokenizer and ignores this.
    /// </summary>
    public GptTokenizerKind Tokenizer { get; set; } = GptTokenizerKind.Char;

    /// <summary>
    /// A checkpoint directory the pretrain stage wrote (model.safetensors, model.json, tokenizer.json): the policy
    /// starts from it instead of random weights, and its shape comes from the checkpoint (the size options are ignored).
    /// </summary>
    public string? Checkpoint { get; set; }

    /// <summary>Responses scored per forward pass in ScoreAsync.</summary>
    [Range(1, 100_000)]
    public int ScoreBatchSize { get; set; } = 128;
}
