using System.Runtime.CompilerServices;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.AI;

namespace AlignFx.LanguageModels;

/// <summary>
/// An in-process <see cref="IChatClient"/> over any <see cref="IPolicy"/>, so an oversight method written against a chat
/// model can use the embedded policy. The policy answers the last user message (task policies are trained on single
/// prompts: system messages and earlier turns are not shown to it); <see cref="ChatOptions"/> map onto
/// <see cref="GenerationOptions"/> (temperature, top-k, top-p, maximum output tokens, stop sequences, seed).
/// </summary>
/// <param name="policy">The policy that answers.</param>
/// <param name="defaults">Sampling settings where the chat options leave them unset.</param>
/// <param name="modelId">The model id answers carry where the chat options name none (null: the policy's type name).</param>
public sealed class PolicyChatClient(IPolicy policy, GenerationOptions? defaults = null, string? modelId = null) : IChatClient
{
    private readonly string _modelId = modelId ?? policy.GetType().Name;
    private readonly GenerationOptions _defaults = defaults ?? new GenerationOptions();
    private int _calls;

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ChatMessage question = messages.LastOrDefault(m => m.Role == ChatRole.User)
            ?? throw new ArgumentException("The conversation has no user message to answer.", nameof(messages));
        var generation = Map(options);
        int call = Interlocked.Increment(ref _calls);
        var prompt = new Prompt(question.MessageId ?? $"chat-{call}", question.Text);
        Response response = (await policy.GenerateAsync([prompt], generation, cancellationToken).ConfigureAwait(false))[0];
        int tokens = response.TokenIds?.Count ?? response.Text.Length;
        // Input tokens are known when the policy can count them (the prompt's tokens, without special tokens).
        long? inputTokens = policy is ITokenizedPolicy tokenized ? tokenized.CountTokens(prompt.Text) : null;
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, response.Text))
        {
            ModelId = options?.ModelId ?? _modelId,
            FinishReason = tokens >= generation.MaxNewTokens ? ChatFinishReason.Length : ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = tokens, TotalTokenCount = (inputTokens ?? 0) + tokens },
            // The policy's own answer (token ids and log-probabilities) for callers in this process.
            RawRepresentation = response,
        };
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // The policy samples a whole response at once: stream it as one update.
        ChatResponse response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        yield return new ChatResponseUpdate(ChatRole.Assistant, response.Text)
        {
            ModelId = response.ModelId,
            FinishReason = response.FinishReason,
        };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }
        if (serviceType.IsInstanceOfType(this))
        {
            return this;
        }
        if (serviceType.IsInstanceOfType(policy))
        {
            return policy;
        }
        return serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("alignfx", defaultModelId: _modelId) : null;
    }

    /// <summary>Nothing to release: the policy belongs to its owner.</summary>
    public void Dispose()
    {
    }

    private GenerationOptions Map(ChatOptions? options) => options is null ? _defaults : _defaults with
    {
        Temperature = options.Temperature ?? _defaults.Temperature,
        TopK = options.TopK ?? _defaults.TopK,
        TopP = options.TopP ?? _defaults.TopP,
        MaxNewTokens = options.MaxOutputTokens ?? _defaults.MaxNewTokens,
        StopSequences = options.StopSequences is { Count: > 0 } stops ? [.. stops] : _defaults.StopSequences,
        Seed = options.Seed ?? _defaults.Seed,
    };
}
