using System.ClientModel;
using System.ClientModel.Primitives;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAIChatClient = OpenAI.Chat.ChatClient;

namespace AlignFx.ChatModels;

/// <summary>Options of the <c>openai-compatible</c> chat model.</summary>
public sealed class OpenAICompatibleOptions : IValidatableObject
{
    /// <summary>The server's base URL, with or without <c>/v1</c> (<c>http://127.0.0.1:8000</c> and <c>http://127.0.0.1:8000/v1</c> are the same).</summary>
    [Required]
    public string BaseUrl { get; set; } = "";

    /// <summary>The model id the server knows the model by (vLLM's <c>--served-model-name</c>, Ollama's tag, ...).</summary>
    [Required]
    public string Model { get; set; } = "";

    /// <summary>
    /// The name of the environment variable that holds the API key (for example <c>OPENAI_API_KEY</c>). The key itself
    /// never goes into a manifest. Null: the server needs no key (local servers), and a placeholder is sent.
    /// </summary>
    public string? ApiKeyVariable { get; set; }

    /// <summary>Seconds to wait for each attempt's answer before giving up on it.</summary>
    [Range(0.1, 3600.0)]
    public double TimeoutSeconds { get; set; } = 100;

    /// <summary>
    /// Retries of a failed attempt (the OpenAI SDK's policy: 408, 429, 500, 502, 503 and 504 answers and network
    /// failures, with exponential back-off that honours <c>Retry-After</c>); 0: fail on the first error.
    /// </summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BaseUrl.Length > 0 && !(Uri.TryCreate(BaseUrl, UriKind.Absolute, out Uri? uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult("must be an absolute http or https URL, for example http://127.0.0.1:8000/v1", [nameof(BaseUrl)]);
        }
        if (ApiKeyVariable is { Length: 0 })
        {
            yield return new ValidationResult("must name an environment variable, or be left out for a server without keys", [nameof(ApiKeyVariable)]);
        }
    }
}

/// <summary>A chat model on a server that failed to answer: the model, the endpoint and what went wrong.</summary>
/// <param name="message">What went wrong and what to do.</param>
/// <param name="inner">The SDK's or the network's error.</param>
public sealed class ChatModelException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The <c>openai-compatible</c> chat model: any server that speaks OpenAI's chat completions (vLLM, Ollama, llama.cpp's
/// server, hosted APIs, <c>alignfx serve</c>) through Microsoft.Extensions.AI.OpenAI. Failures end in a
/// <see cref="ChatModelException"/> that names the model, the endpoint and the cause (unreachable, timed out, an HTTP
/// status after the SDK's retries, an answer that is not a chat completion).
/// </summary>
public sealed class OpenAICompatibleChatModel : DelegatingChatClient
{
    /// <summary>The component name manifests use.</summary>
    public const string Name = "openai-compatible";

    /// <summary>The API key sent when <see cref="OpenAICompatibleOptions.ApiKeyVariable"/> is not set (servers without keys ignore it).</summary>
    internal const string NoKey = "no-key";

    private readonly OpenAICompatibleOptions _options;

    /// <summary>Creates the client; nothing is sent until the first request.</summary>
    /// <param name="options">The bound options.</param>
    public OpenAICompatibleChatModel(OpenAICompatibleOptions options)
        : base(CreateClient(options, out string? missingKey))
    {
        _options = options;
        _missingKey = missingKey;
        Endpoint = NormaliseEndpoint(options.BaseUrl);
    }

    // The named key variable is read when the model is created, but its absence is an error only when a request is
    // sent: a run replayed from the store's cache (alignfx run --replay) never sends one and needs no key.
    private readonly string? _missingKey;

    /// <summary>The endpoint requests go to (the base URL ending in <c>/v1</c>).</summary>
    public Uri Endpoint { get; }

    /// <summary>The base URL with <c>/v1</c> appended when it does not end in it (the SDK adds <c>/chat/completions</c>).</summary>
    /// <param name="baseUrl">An absolute http(s) URL.</param>
    /// <returns>The endpoint.</returns>
    public static Uri NormaliseEndpoint(string baseUrl)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        string trimmed = baseUrl.TrimEnd('/');
        return new Uri(trimmed.EndsWith("/v1", StringComparison.Ordinal) ? trimmed : trimmed + "/v1");
    }

    private static IChatClient CreateClient(OpenAICompatibleOptions options, out string? missingKey)
    {
        ArgumentNullException.ThrowIfNull(options);
        string key = NoKey;
        missingKey = null;
        if (options.ApiKeyVariable is { } variable)
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
            {
                key = value;
            }
            else
            {
                missingKey = $"Chat model {Name} ({options.Model}): the environment variable {variable} named by apiKeyVariable is not set; export {variable}=<key> before the run.";
            }
        }
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = NormaliseEndpoint(options.BaseUrl),
            NetworkTimeout = TimeSpan.FromSeconds(options.TimeoutSeconds),
            RetryPolicy = new ClientRetryPolicy(options.MaxRetries),
        };
        return new OpenAIChatClient(options.Model, new ApiKeyCredential(key), clientOptions).AsIChatClient();
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (_missingKey is not null)
        {
            throw new ChatModelException(_missingKey);
        }
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Describe(ex, cancellationToken) is { } cause)
        {
            throw new ChatModelException($"Chat model {Name} ({_options.Model} at {Endpoint}): {cause}", ex);
        }
    }

    /// <summary>What went wrong, in words that name the fix; null for the caller's own cancellation (not an error of the model).</summary>
    private string? Describe(Exception ex, CancellationToken ct) => ex switch
    {
        // The SDK's retry policy gathers the attempts' errors; they are alike, so the last one speaks for all.
        AggregateException { InnerExceptions.Count: > 0 } all => Describe(all.InnerExceptions[^1], ct),
        OperationCanceledException when ct.IsCancellationRequested => null,
        OperationCanceledException or TimeoutException =>
            $"no answer within {_options.TimeoutSeconds:0.###} s (timeoutSeconds) on any of {_options.MaxRetries + 1} attempts; raise timeoutSeconds or check the server.",
        ClientResultException { Status: > 0 } http =>
            $"the server answered HTTP {http.Status}{(IsRetried(http.Status) ? $" (after {_options.MaxRetries} retries)" : "")}: {FirstLine(http.Message)}",
        ClientResultException or HttpRequestException =>
            $"the server could not be reached ({FirstLine(ex.Message)}); is it running at this address?",
        JsonException or FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException =>
            $"the server's answer is not an OpenAI chat completion ({ex.GetType().Name}: {FirstLine(ex.Message)}).",
        _ => null,
    };

    private static bool IsRetried(int status) => status is 408 or 429 or 500 or 502 or 503 or 504;

    private static string FirstLine(string text)
    {
        int end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }
}
