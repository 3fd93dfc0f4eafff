using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AlignFx.Host.Serve;

/// <summary>Where and what <see cref="PolicyServer"/> serves.</summary>
/// <param name="Policy">The policy that answers.</param>
/// <param name="ModelId">The id <c>/v1/models</c> lists and answers carry; requests naming another model get 404.</param>
/// <param name="Address">The address to bind (loopback by default: a policy is not something to expose by accident).</param>
/// <param name="Port">The TCP port (0: any free port; <see cref="PolicyServer.BaseAddress"/> says which).</param>
public sealed record ServeOptions(IPolicy Policy, string ModelId, IPAddress Address, int Port);

/// <summary>The port is taken (or the address cannot be bound); the message names the fix.</summary>
/// <param name="message">What happened and what to do.</param>
/// <param name="inner">Kestrel's error.</param>
public sealed class ServeBindException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// <c>alignfx serve</c>: a policy as an OpenAI-compatible endpoint (ASP.NET Core minimal API): <c>GET /v1/models</c> and
/// <c>POST /v1/chat/completions</c> with <c>temperature</c>, <c>top_p</c>, <c>max_tokens</c> (or
/// <c>max_completion_tokens</c>), <c>seed</c>, <c>stop</c>, <c>n</c> and <c>logprobs</c>. Streaming and
/// <c>top_logprobs</c> are refused with a 400 that says so.
/// </summary>
/// <remarks>
/// The policy answers the last user message (task policies are trained on single prompts). The <c>n</c> choices are
/// sampled as one batch with one seed; the same request with the same seed gives the same choices. Log-probabilities
/// are the policy's at temperature 1 (what <see cref="ITrainablePolicy.ScoreTokens"/> gives), whatever temperature
/// sampled the tokens; special tokens (end of sequence) are not listed. Requests are answered one at a time: the policy's
/// network is not shared between threads.
/// </remarks>
public sealed class PolicyServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly WebApplication _app;
    private readonly ServeOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _fingerprint;
    private long _requests;

    private readonly ILogger _logger;

    private PolicyServer(WebApplication app, ServeOptions options, ILogger logger)
    {
        _app = app;
        _logger = logger;
        _options = options;
        _fingerprint = "alignfx-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(options.ModelId)))[..12];
    }

    /// <summary>The address clients use, for example <c>http://127.0.0.1:8000</c> (OpenAI clients add <c>/v1</c>).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Binds the port and starts answering.</summary>
    /// <param name="options">What to serve, where.</param>
    /// <param name="loggers">Receives a line per answered request at debug level (null: none). ASP.NET Core's own logging stays
    /// off: a busy port is reported once, by <see cref="ServeBindException"/>, not also as a logged stack trace.</param>
    /// <param name="ct">Stops the start.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="ServeBindException">The port is in use or the address cannot be bound.</exception>
    public static async Task<PolicyServer> StartAsync(ServeOptions options, ILoggerFactory? loggers = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(options.Address, options.Port));
        WebApplication app = builder.Build();
        var server = new PolicyServer(app, options, (loggers ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("alignfx.serve"));
        app.MapGet("/v1/models", server.Models);
        app.MapPost("/v1/chat/completions", server.ChatCompletionsAsync);
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch (IOException ex) when (ex.InnerException is AddressInUseException || ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new ServeBindException(
                $"Port {options.Port} on {options.Address} is in use by another process; pick another with --port (or stop what holds it).", ex);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new ServeBindException($"Cannot listen on {options.Address}:{options.Port}: {ex.Message}; check --host and --port.", ex);
        }
        string bound = app.Urls.First();
        server.BaseAddress = new Uri(bound.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    /// <summary>Chat completions answered so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Waits until the server is stopped (Ctrl+C through <paramref name="ct"/>).</summary>
    /// <param name="ct">Stops the server.</param>
    /// <returns>A task that ends when the server has stopped.</returns>
    public Task WaitForShutdownAsync(CancellationToken ct) => Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(_app, ct);

    /// <summary>Stops answering and releases the port.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    private IResult Models() => Results.Json(new
    {
        @object = "list",
        data = new[] { new { id = _options.ModelId, @object = "model", created = 0, owned_by = "alignfx" } },
    }, Json);

    private async Task<IResult> ChatCompletionsAsync(HttpRequest http, CancellationToken ct)
    {
        ChatRequest request;
        try
        {
            JsonNode body = await JsonNode.ParseAsync(http.Body, cancellationToken: ct).ConfigureAwait(false)
                ?? throw new RequestException("the body is JSON null; send a chat completion request object", null);
            request = ChatRequest.Parse(body, _options.ModelId);
        }
        catch (JsonException ex)
        {
            return Error(400, $"the body is not valid JSON: {ex.Message}", null);
        }
        catch (RequestException ex)
        {
            return Error(ex.Status, ex.Message, ex.Param);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            return Error(400, $"a field has the wrong type: {ex.Message}", null);
        }

        var prompt = new Prompt($"serve-{Interlocked.Increment(ref _requests)}", request.Question);
        var generation = new GenerationOptions
        {
            MaxNewTokens = request.MaxTokens,
            Temperature = request.Temperature,
            TopP = request.TopP,
            StopSequences = request.Stop,
            Seed = request.Seed ?? Random.Shared.NextInt64(),
        };
        IReadOnlyList<Response> responses;
        IReadOnlyList<float[]>? logProbs = null;
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            responses = await _options.Policy.GenerateAsync([.. Enumerable.Repeat(prompt, request.N)], generation, ct).ConfigureAwait(false);
            if (request.LogProbs)
            {
                logProbs = await _options.Policy.ScoreAsync(responses, ct).ConfigureAwait(false);
            }
        }
        catch (ArgumentException ex)
        {
            return Error(400, $"the policy cannot answer this request: {ex.Message}", "messages");
        }
        finally
        {
            _gate.Release();
        }

        var tokenized = _options.Policy as ITokenizedPolicy;
        int promptTokens = tokenized?.CountTokens(request.Question) ?? 0;
        var choices = new JsonArray();
        int completionTokens = 0;
        for (int i = 0; i < responses.Count; i++)
        {
            Response response = responses[i];
            IReadOnlyList<int> ids = response.TokenIds ?? [];
            completionTokens += ids.Count;
            bool ended = ids.Count < request.MaxTokens || (tokenized is not null && ids.Count > 0 && tokenized.DecodeToken(ids[^1]).Length == 0);
            choices.Add(new JsonObject
            {
                ["index"] = i,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = response.Text },
                ["logprobs"] = logProbs is null ? null : LogProbsOf(ids, logProbs[i], tokenized),
                ["finish_reason"] = ended ? "stop" : "length",
            });
        }
        var answer = new JsonObject
        {
            ["id"] = "chatcmpl-" + prompt.Id,
            ["object"] = "chat.completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = _options.ModelId,
            ["system_fingerprint"] = _fingerprint,
            ["choices"] = choices,
            ["usage"] = new JsonObject
            {
                ["prompt_tokens"] = promptTokens,
                ["completion_tokens"] = completionTokens,
                ["total_tokens"] = promptTokens + completionTokens,
            },
        };
        _logger.LogDebug("{Id}: {Choices} choice(s), {Prompt} prompt and {Completion} completion tokens", prompt.Id, request.N, promptTokens, completionTokens);
        return Results.Text(answer.ToJsonString(), "application/json", Encoding.UTF8);
    }

    /// <summary>OpenAI's logprobs object; tokens that decode to nothing (end of sequence) are left out.</summary>
    private static JsonObject LogProbsOf(IReadOnlyList<int> ids, float[] values, ITokenizedPolicy? tokenized)
    {
        var content = new JsonArray();
        for (int t = 0; t < ids.Count && t < values.Length; t++)
        {
            string token = tokenized?.DecodeToken(ids[t]) ?? ids[t].ToString(CultureInfo.InvariantCulture);
            if (token.Length == 0)
            {
                continue;
            }
            var bytes = new JsonArray();
            foreach (byte b in Encoding.UTF8.GetBytes(token))
            {
                bytes.Add(b);
            }
            content.Add(new JsonObject { ["token"] = token, ["logprob"] = values[t], ["bytes"] = bytes, ["top_logprobs"] = new JsonArray() });
        }
        return new JsonObject { ["content"] = content, ["refusal"] = null };
    }

    private static IResult Error(int status, string message, string? param) => Results.Json(new
    {
        error = new { message, type = status == 404 ? "not_found_error" : "invalid_request_error", param, code = (string?)null },
    }, Json, statusCode: status);
}

/// <summary>A request the server refuses, with its HTTP status and the offending field.</summary>
internal sealed class RequestException(int status, string message, string? param) : Exception(message)
{
    public RequestException(string message, string? param) : this(400, message, param)
    {
    }

    public int Status { get; } = status;
    public string? Param { get; } = param;
}

/// <summary>The parts of an OpenAI chat completion request the server uses, checked.</summary>
internal sealed record ChatRequest(string Question, int N, double Temperature, double TopP, int MaxTokens, long? Seed, IReadOnlyList<string> Stop, bool LogProbs)
{
    /// <summary>The default answer length when the request sets none.</summary>
    public const int DefaultMaxTokens = 64;

    public static ChatRequest Parse(JsonNode body, string modelId)
    {
        if (body is not JsonObject o)
        {
            throw new RequestException("the body must be a JSON object", null);
        }
        string? model = Str(o, "model");
        if (model is not null && model != modelId)
        {
            throw new RequestException(404, $"the model '{model}' does not exist; this server serves '{modelId}'", "model");
        }
        if (Bool(o, "stream") == true)
        {
            throw new RequestException("stream is not supported; send stream: false", "stream");
        }
        if (Num(o, "top_logprobs") is > 0)
        {
            throw new RequestException("top_logprobs is not supported (the server reports each sampled token's log-probability only)", "top_logprobs");
        }
        if (o["messages"] is not JsonArray messages || messages.Count == 0)
        {
            throw new RequestException("messages must be a non-empty array", "messages");
        }
        string? question = null;
        foreach (JsonNode? message in messages)
        {
            if (message is JsonObject m && Str(m, "role") == "user")
            {
                question = Content(m);
            }
        }
        question = question ?? throw new RequestException("messages has no user message to answer", "messages");
        int n = (int)(Num(o, "n") ?? 1);
        double temperature = Num(o, "temperature") ?? 1.0;
        double topP = Num(o, "top_p") ?? 1.0;
        int maxTokens = (int)(Num(o, "max_completion_tokens") ?? Num(o, "max_tokens") ?? DefaultMaxTokens);
        Check(n is >= 1 and <= 128, "n must be in [1, 128]", "n");
        Check(temperature is >= 0 and <= 2, "temperature must be in [0, 2]", "temperature");
        Check(topP is > 0 and <= 1, "top_p must be in (0, 1]", "top_p");
        Check(maxTokens is >= 1 and <= 65536, "max_tokens must be in [1, 65536]", "max_tokens");
        long? seed = o["seed"] is JsonValue s ? s.GetValue<long>() : null;
        IReadOnlyList<string> stop = o["stop"] switch
        {
            null => [],
            JsonValue v when v.TryGetValue(out string? one) => [one],
            JsonArray a => [.. a.Select(x => x?.GetValue<string>() ?? throw new RequestException("stop must hold strings", "stop"))],
            _ => throw new RequestException("stop must be a string or an array of strings", "stop"),
        };
        Check(stop.Count <= 4, "stop holds at most 4 sequences", "stop");
        return new ChatRequest(question, n, temperature, topP, maxTokens, seed, stop, Bool(o, "logprobs") == true);
    }

    private static void Check(bool ok, string message, string param)
    {
        if (!ok)
        {
            throw new RequestException(message, param);
        }
    }

    private static string Content(JsonObject message) => message["content"] switch
    {
        JsonValue v when v.TryGetValue(out string? text) => text,
        // Content parts: the text parts, joined.
        JsonArray parts => string.Concat(parts.OfType<JsonObject>().Where(p => Str(p, "type") == "text").Select(p => Str(p, "text"))),
        _ => throw new RequestException("a user message's content must be a string or an array of text parts", "messages"),
    };

    private static string? Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static bool? Bool(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue(out bool b) ? b : null;

    private static double? Num(JsonObject o, string name)
    {
        if (o[name] is null)
        {
            return null;
        }
        if (o[name] is JsonValue v && v.TryGetValue(out double d))
        {
            return d;
        }
        throw new RequestException($"{name} must be a number", name);
    }
}
