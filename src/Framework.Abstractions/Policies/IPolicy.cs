using AlignFx.Tensors;
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
/// A policy an optimiser can train: its network, differentiable token log-probabilities, and a frozen snapshot
/// for the KL reference.
/// </summary>
public interface ITrainablePolicy : IPolicy
{
    /// <summary>The trainable network; optimisers update its parameters.</summary>
    torch.nn.Module Module { get; }

    /// <summary>
    /// Scores the responses' tokens under the policy, batched and padded, inside the autograd graph (so a loss built
    /// from the result trains <see cref="Module"/>); call it under <c>torch.no_grad()</c> for rollouts.
    /// </summary>
    /// <param name="responses">Responses to score (their <see cref="Response.TokenIds"/> when set, else their text).</param>
    /// <param name="withValues">Also compute the value head's per-token values (actor–critic methods).</param>
    /// <returns>Per-token log-probabilities, mask, entropy and optional values, each [batch, longest response].</returns>
    TokenScores ScoreTokens(IReadOnlyList<Response> responses, bool withValues = false);

    /// <summary>A frozen copy of the policy as it is now, for use as a KL reference or as the base policy in reports; later training does not change it.</summary>
    /// <returns>The snapshot.</returns>
    IPolicy Snapshot();
}

/// <summary>Per-token scores of a batch of responses, padded to the longest; padding has mask 0 and log-probability 0.</summary>
/// <param name="LogProbs">log π(token | prefix), float32 [batch, length].</param>
/// <param name="Mask">1 for response tokens, 0 for padding, float32 [batch, length].</param>
/// <param name="Entropy">The entropy of the policy's next-token distribution at each position, [batch, length].</param>
/// <param name="Values">The value head's estimates, [batch, length], or null when not asked for.</param>
public sealed record TokenScores(torch.Tensor LogProbs, torch.Tensor Mask, torch.Tensor Entropy, torch.Tensor? Values);

/// <summary>
/// A policy that can hand out a sequence encoder initialised from its own weights, as InstructGPT initialises its
/// reward model from the policy; a reward-model plugin obtains it through this contract only.
/// </summary>
public interface ISequenceEncoderSource
{
    /// <summary>A new, independently trainable copy of the policy's trunk.</summary>
    /// <returns>The encoder.</returns>
    ISequenceEncoder CreateEncoder();
}

/// <summary>Encodes responses (prompt and answer) into one vector each, differentiably.</summary>
public interface ISequenceEncoder
{
    /// <summary>The encoder's network (its parameters are trained with the head that sits on it).</summary>
    torch.nn.Module Module { get; }

    /// <summary>The size of an encoding.</summary>
    int Dimension { get; }

    /// <summary>The encodings, float32 [batch, <see cref="Dimension"/>] (the last token's hidden state).</summary>
    /// <param name="responses">The responses to encode.</param>
    /// <returns>The encodings.</returns>
    torch.Tensor Encode(IReadOnlyList<Response> responses);
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
