namespace AlignFx.Abstractions.Tasks;

/// <summary>A prompt a policy answers.</summary>
/// <param name="Id">Unique within its task and split, stable across runs with the same seed.</param>
/// <param name="Text">The text the policy sees.</param>
public sealed record Prompt(string Id, string Text)
{
    /// <summary>Public, task-specific facts about the prompt (difficulty, a user hint, ...); never the truth (the answer), which only the task's gold evaluator knows.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMetadata;

    internal static readonly IReadOnlyDictionary<string, string> EmptyMetadata = new Dictionary<string, string>();
}

/// <summary>A policy's answer to a prompt.</summary>
/// <param name="Prompt">The prompt answered.</param>
/// <param name="Text">The response text (without the prompt).</param>
public sealed record Response(Prompt Prompt, string Text)
{
    /// <summary>Unique within a run, for feedback records and transcripts ("" when the producer did not set one).</summary>
    public string Id { get; init; } = "";

    /// <summary>The policy that produced it (its component name), or "" when not known.</summary>
    public string Source { get; init; } = "";

    /// <summary>The response's token ids under the producing policy's tokenizer, when it has one.</summary>
    public IReadOnlyList<int>? TokenIds { get; init; }

    /// <summary>Log-probability of each token in <see cref="TokenIds"/> under the sampling distribution, when known.</summary>
    public IReadOnlyList<float>? TokenLogProbs { get; init; }

    /// <summary>Producer-specific facts (for example the sampling temperature).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = Prompt.EmptyMetadata;
}

/// <summary>One pretraining example: a prompt and a response the policy should learn to give.</summary>
/// <param name="Prompt">The prompt text.</param>
/// <param name="Response">The response text.</param>
public sealed record PretrainingExample(string Prompt, string Response);
