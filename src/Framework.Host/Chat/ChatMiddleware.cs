using System.Diagnostics;
using System.Globalization;
using System.Text;
using AlignFx.Abstractions.Policies;
using AlignFx.Host.Store;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AlignFx.Host.Chat;

/// <summary>What the chat middleware of one run needs: where to record, the run's seed, and whether it replays.</summary>
/// <param name="Store">The run's chat tables.</param>
/// <param name="Recorder">The run (its id and current stage).</param>
/// <param name="Loggers">Where the logging middleware writes.</param>
/// <param name="Seed">The run's seed, passed as <see cref="ChatOptions.Seed"/> where a request sets none.</param>
/// <param name="Replay">Answer only from the response cache; a request it lacks fails the run.</param>
internal sealed record ChatRunScope(ChatStore Store, RunRecorder Recorder, ILoggerFactory Loggers, long Seed, bool Replay);

/// <summary>
/// The middleware every chat model the host creates for a run goes through (Microsoft.Extensions.AI's
/// <see cref="ChatClientBuilder"/>), outermost first: logging; usage recording (a <c>chat_calls</c> row per call);
/// the run's seed as <see cref="ChatOptions.Seed"/>; the store-backed response cache; and, with <c>--replay</c>, a guard
/// that refuses to reach the model.
/// </summary>
/// <remarks>
/// A chat model that answers in this process from a policy of the run (it hands out an <see cref="IPolicy"/> through
/// <see cref="IChatClient.GetService"/>) is not cached: its answers change as the run trains the policy, while the
/// request stays the same, and it needs no network to replay.
/// </remarks>
internal static class ChatMiddleware
{
    /// <summary>Wraps <paramref name="model"/>, the chat-model component <paramref name="name"/>, for the run.</summary>
    public static IChatClient Wrap(IChatClient model, string name, ChatRunScope scope)
    {
        bool inProcess = model.GetService(typeof(IPolicy)) is not null;
        var metadata = model.GetService(typeof(ChatClientMetadata)) as ChatClientMetadata;
        var builder = new ChatClientBuilder(model)
            .UseLogging(scope.Loggers)
            .Use(inner => new UsageRecordingChatClient(inner, name, scope))
            .ConfigureOptions(options => options.Seed ??= scope.Seed);
        if (!inProcess)
        {
            builder.Use(inner => new StoreCachingChatClient(inner, scope.Store)
            {
                // The request alone does not say which model answers: two endpoints may get the same messages.
                CacheKeyAdditionalValues = [name, metadata?.ProviderUri?.ToString() ?? "", metadata?.DefaultModelId ?? ""],
            });
            if (scope.Replay)
            {
                builder.Use(inner => new ReplayGuardChatClient(inner, name));
            }
        }
        return builder.Build();
    }

    /// <summary>A short description of a request for error messages: the last message, its role, and the options that shape the answer.</summary>
    public static string DescribeRequest(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var list = messages.ToList();
        var text = new StringBuilder();
        ChatMessage? last = list.LastOrDefault();
        string said = last?.Text ?? "";
        if (said.Length > 120)
        {
            said = said[..117] + "...";
        }
        text.Append(CultureInfo.InvariantCulture, $"{list.Count} message{(list.Count == 1 ? "" : "s")}, the last ({last?.Role.Value ?? "none"}): \"{said}\"");
        if (options is not null)
        {
            var parts = new List<string>();
            if (options.ModelId is { } model) parts.Add($"model {model}");
            if (options.Seed is { } seed) parts.Add($"seed {seed}");
            if (options.Temperature is { } t) parts.Add($"temperature {t.ToString(CultureInfo.InvariantCulture)}");
            if (options.MaxOutputTokens is { } max) parts.Add($"max tokens {max}");
            if (parts.Count > 0)
            {
                text.Append(" (").Append(string.Join(", ", parts)).Append(')');
            }
        }
        return text.ToString();
    }
}

/// <summary>Records each call's token usage, latency and whether the cache answered it.</summary>
internal sealed class UsageRecordingChatClient(IChatClient inner, string name, ChatRunScope scope) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        ChatResponse response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        bool cached = response.AdditionalProperties?.TryGetValue(StoreCachingChatClient.CachedProperty, out object? hit) == true && hit is true;
        UsageDetails? usage = response.Usage;
        scope.Store.RecordCall(new ChatCall(scope.Recorder.RunId, scope.Recorder.CurrentStage, name, response.ModelId,
            usage?.InputTokenCount, usage?.OutputTokenCount, usage?.TotalTokenCount ?? (usage?.InputTokenCount + usage?.OutputTokenCount), cached, ms));
        return response;
    }
}

/// <summary>Microsoft.Extensions.AI's distributed cache over the run store, marking the answers it served.</summary>
internal sealed class StoreCachingChatClient(IChatClient inner, ChatStore store) : DistributedCachingChatClient(inner, store)
{
    /// <summary>Set (to true) in <see cref="ChatResponse.AdditionalProperties"/> of an answer served from the cache.</summary>
    public const string CachedProperty = "alignfx.cached";

    protected override async Task<ChatResponse?> ReadCacheAsync(string key, CancellationToken cancellationToken)
    {
        ChatResponse? response = await base.ReadCacheAsync(key, cancellationToken).ConfigureAwait(false);
        if (response is not null)
        {
            (response.AdditionalProperties ??= [])[CachedProperty] = true;
        }
        return response;
    }
}

/// <summary>Under <c>--replay</c>: the cache missed, so the run asked something the run it replays did not.</summary>
/// <param name="message">What was asked and what to do.</param>
public sealed class ChatReplayMissException(string message) : InvalidOperationException(message);

/// <summary>Sits below the cache under <c>--replay</c>: any request that reaches it was not recorded.</summary>
internal sealed class ReplayGuardChatClient(IChatClient inner, string name) : DelegatingChatClient(inner)
{
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw Miss(messages, options);

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw Miss(messages, options);

    private ChatReplayMissException Miss(IEnumerable<ChatMessage> messages, ChatOptions? options) => new(
        $"--replay: the store has no recorded answer of chat model '{name}' to {ChatMiddleware.DescribeRequest(messages, options)}; "
        + "run without --replay, with the model reachable, to record it.");
}
