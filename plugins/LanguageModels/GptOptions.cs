using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Plugins;

namespace AlignFx.LanguageModels;

/// <summary>Options of the <c>gpt</c> policy.</summary>
public sealed class GptOptions : IValidatableObject, IPipelineValidatable
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

    /// <summary>
    /// How attention runs: <c>auto</c> (the backend chooses: the managed backend composes matmul, softmax, matmul below
    /// 1024 keys, so every published run keeps its numbers, and runs its tiled fused kernel from there; libtorch fuses
    /// unmasked calls), <c>fused</c> (the backend's fused kernel whenever it takes the call), <c>composed</c> (never fused).
    /// </summary>
    public GptAttentionKernel Attention { get; set; } = GptAttentionKernel.Auto;

    /// <summary>Responses scored per forward pass in ScoreAsync.</summary>
    [Range(1, 100_000)]
    public int ScoreBatchSize { get; set; } = 128;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Multi-head attention splits the width evenly between the heads.
        if (string.IsNullOrEmpty(Checkpoint) && DModel % Heads != 0)
        {
            yield return new ValidationResult($"must be a multiple of heads ({Heads}), not {DModel}; for example {Math.Max(Heads, DModel / Heads * Heads)}", [nameof(DModel)]);
        }
        if (Checkpoint is { Length: > 0 } && string.IsNullOrWhiteSpace(Checkpoint))
        {
            yield return new ValidationResult("must not be blank; leave it out to start from random weights", [nameof(Checkpoint)]);
        }
    }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(PipelineValidationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!string.IsNullOrWhiteSpace(Checkpoint))
        {
            // The run reads it from the current folder, as here.
            string full = Path.GetFullPath(Checkpoint);
            if (!Directory.Exists(full))
            {
                yield return new ValidationResult($"no checkpoint folder '{Checkpoint}' ({full}); give a pretrain/checkpoint folder an earlier run wrote (relative paths start at the current folder)", [nameof(Checkpoint)]);
            }
            else
            {
                string[] missing = [.. new[] { GptPolicy.WeightsFile, "model.json", GptPolicy.TokenizerFile }.Where(f => !File.Exists(Path.Combine(full, f)))];
                if (missing.Length > 0)
                    yield return new ValidationResult($"the checkpoint folder '{Checkpoint}' lacks {string.Join(", ", missing)}; give a pretrain/checkpoint folder an earlier run wrote", [nameof(Checkpoint)]);
            }
            yield break;
        }
        if (context.Task is { } task)
        {
            // BOS prompt SEP response EOS must fit: the model predicts every token after BOS within its context.
            int longest = 0;
            foreach (var example in task.GetPretrainingCorpus())
                longest = Math.Max(longest, example.Prompt.Length + example.Response.Length + 2);
            foreach (string split in task.Splits)
            {
                foreach (var prompt in task.GetPrompts(split))
                    longest = Math.Max(longest, prompt.Text.Length + 3);
            }
            if (longest > Context)
                yield return new ValidationResult($"must be at least {longest} to hold the task's longest text (prompt and response with their markers), not {Context}", [nameof(Context)]);
        }
    }
}

/// <summary>Which attention kernel a <c>gpt</c> policy asks for (option <c>attention</c>).</summary>
public enum GptAttentionKernel
{
    /// <summary>The backend chooses (the managed backend fuses from 1024 keys; below that it composes, as published runs did).</summary>
    Auto,

    /// <summary>Matmul, fused scaled causal softmax, matmul: materialises the T x T scores.</summary>
    Composed,

    /// <summary>The backend's fused kernel (the managed backend's tiled kernel never materialises T x T scores).</summary>
    Fused,
}
