using AlignFx.Abstractions.Tasks;

namespace AlignFx.Abstractions.Policies;

/// <summary>A policy: answers prompts, and says how likely it finds given responses.</summary>
public interface IPolicy
{
    /// <summary>
    /// Samples one response per prompt (repeat a prompt to get several), each with its token ids and per-token
    /// log-probabilities under the sampling distribution. The same options (seed included) give the same responses.
    /// </summary>
    /// <param name="prompts">The prompts, answered as one batch where the policy can.</param>
    /// <param name="options">Sampling settings and the seed.</param>
    /// <param name="ct">Stops generation at the next token.</param>
    /// <returns>One response per prompt, in order.</returns>
    Task<IReadOnlyList<Response>> GenerateAsync(IReadOnlyList<Prompt> prompts, GenerationOptions options, CancellationToken ct);

    /// <summary>
    /// The log-probability of each token of each response given its prompt, under the policy at temperature 1
    /// (not differentiable; trainable policies add a differentiable variant).
    /// </summary>
    /// <param name="responses">The responses, with their prompts.</param>
    /// <param name="ct">Stops between batches.</param>
    /// <returns>For each response, one log-probability per token of its text under this policy's tokenizer.</returns>
    Task<IReadOnlyList<float[]>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct);
}

/// <summary>
/// A policy an optimiser can train. The tensor-facing members (its module and differentiable log-probabilities)
/// are added with the tensor runtime.
/// </summary>
public interface ITrainablePolicy : IPolicy
{
    /// <summary>A frozen copy of the policy as it is now, for use as a KL reference or as the base policy in reports; later training does not change it.</summary>
    /// <returns>The snapshot.</returns>
    IPolicy Snapshot();
}

/// <summary>Sampling settings.</summary>
public sealed record GenerationOptions
{
    /// <summary>The most tokens to generate per response.</summary>
    public int MaxNewTokens { get; init; } = 32;

    /// <summary>Softmax temperature; 0 means greedy decoding.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Keep only the k most likely tokens at each step (0: no limit).</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of tokens whose probability reaches p (1: no limit).</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Texts that end a response when generated (the policy's end-of-sequence token always does).</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>The sampler's seed; draw it from a named stream of the run (<c>context.DeriveSeed("ppo/rollouts/" + step)</c>).</summary>
    public long Seed { get; init; }
}
