using System.Diagnostics;
using System.Net;
using AlignFx.Host.Serve;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AlignFx.ChatModels.Tests;

/// <summary>
/// The <c>openai-compatible</c> chat model against real HTTP servers on loopback ports: <c>alignfx serve</c>, and a
/// small server that answers with the faults a remote model shows (slow, 429, 500, malformed JSON).
/// </summary>
public sealed class OpenAICompatibleTests : IAsyncLifetime
{
    private const string Completion = """
        {"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"17"},"finish_reason":"stop"}],
         "usage":{"prompt_tokens":6,"completion_tokens":3,"total_tokens":9}}
        """;

    private WebApplication _faults = null!;
    private Uri _base = null!;
    private int _flakyCalls;
    private int _authorised;
    private int _refused;
    private int _rateLimitedCalls;

    public async ValueTask InitializeAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _faults = builder.Build();
        _faults.MapPost("/ok/v1/chat/completions", () => Results.Text(Completion, "application/json"));
        _faults.MapPost("/slow/v1/chat/completions", async (CancellationToken ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(20), ct);
            return Results.Text(Completion, "application/json");
        });
        _faults.MapPost("/error500/v1/chat/completions", () => Results.Text("""{"error":{"message":"boom"}}""", "application/json", statusCode: 500));
        _faults.MapPost("/ratelimited/v1/chat/completions", (HttpResponse response) =>
        {
            Interlocked.Increment(ref _rateLimitedCalls);
            response.Headers.RetryAfter = "0";
            return Results.Text("""{"error":{"message":"slow down"}}""", "application/json", statusCode: 429);
        });
        _faults.MapPost("/auth/v1/chat/completions", (HttpRequest request) =>
        {
            if (request.Headers.Authorization.ToString() == "Bearer sk-from-the-environment")
            {
                Interlocked.Increment(ref _authorised);
                return Results.Text(Completion, "application/json");
            }
            Interlocked.Increment(ref _refused);
            return Results.Text("""{"error":{"message":"bad key"}}""", "application/json", statusCode: 401);
        });
        _faults.MapPost("/malformed/v1/chat/completions", () => Results.Text("""{"id":"c1","choices":[{"index":0,"message":""", "application/json"));
        _faults.MapPost("/flaky/v1/chat/completions", () => Interlocked.Increment(ref _flakyCalls) == 1
            ? Results.Text("""{"error":{"message":"try again"}}""", "application/json", statusCode: 503)
            : Results.Text(Completion, "application/json"));
        await _faults.StartAsync(TestContext.Current.CancellationToken);
        _base = new Uri(_faults.Urls.First());
    }

    public async ValueTask DisposeAsync() => await _faults.DisposeAsync();

    private OpenAICompatibleChatModel Model(string path, double timeout = 10, int retries = 0, string? keyVariable = null) => new(new OpenAICompatibleOptions
    {
        BaseUrl = new Uri(_base, path).ToString(),
        Model = "m",
        TimeoutSeconds = timeout,
        MaxRetries = retries,
        ApiKeyVariable = keyVariable,
    });

    [Theory]
    [InlineData("http://127.0.0.1:8000", "http://127.0.0.1:8000/v1")]
    [InlineData("http://127.0.0.1:8000/", "http://127.0.0.1:8000/v1")]
    [InlineData("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1")]
    [InlineData("https://example.org/api/v1/", "https://example.org/api/v1")]
    public void The_base_url_works_with_or_without_v1(string baseUrl, string endpoint) =>
        Assert.Equal(new Uri(endpoint), OpenAICompatibleChatModel.NormaliseEndpoint(baseUrl));

    [Fact]
    public async Task An_answer_carries_the_servers_text_model_and_token_usage()
    {
        using var model = Model("ok");
        ChatResponse response = await model.GetResponseAsync("12+5=?", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("17", response.Text);
        Assert.Equal((6L, 3L, 9L), (response.Usage!.InputTokenCount!.Value, response.Usage.OutputTokenCount!.Value, response.Usage.TotalTokenCount!.Value));
    }

    [Fact]
    public async Task The_api_key_comes_from_the_named_environment_variable_and_a_missing_one_is_named_when_a_request_needs_it()
    {
        // Created without the key (a replay from the cache sends nothing), refused at the first request.
        using var keyless = Model("auth", keyVariable: "ALIGNFX_TEST_KEY_THAT_IS_NOT_SET");
        var error = await Assert.ThrowsAsync<ChatModelException>(() => keyless.GetResponseAsync("1+1=?", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal("Chat model openai-compatible (m): the environment variable ALIGNFX_TEST_KEY_THAT_IS_NOT_SET named by apiKeyVariable is not set; "
            + "export ALIGNFX_TEST_KEY_THAT_IS_NOT_SET=<key> before the run.", error.Message);
        Assert.Equal(0, _authorised + _refused);

        // With the variable set, its value goes out as the bearer token.
        string variable = "ALIGNFX_TEST_KEY_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "sk-from-the-environment");
        try
        {
            using var model = Model("auth", keyVariable: variable);
            Assert.Equal("17", (await model.GetResponseAsync("1+1=?", cancellationToken: TestContext.Current.CancellationToken)).Text);
            Assert.Equal((1, 0), (_authorised, _refused));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task A_server_that_is_down_ends_in_a_named_error()
    {
        using var model = new OpenAICompatibleChatModel(new OpenAICompatibleOptions
        {
            BaseUrl = $"http://127.0.0.1:{ServeTests.FreePort()}", Model = "m", MaxRetries = 0, TimeoutSeconds = 5,
        });
        var error = await Assert.ThrowsAsync<ChatModelException>(() => model.GetResponseAsync("1+1=?", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("the server could not be reached", error.Message, StringComparison.Ordinal);
        Assert.Contains("is it running at this address?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slow_server_ends_in_a_timeout_error_after_the_configured_time_not_a_hang()
    {
        using var model = Model("slow", timeout: 0.5, retries: 1);
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ChatModelException>(() => model.GetResponseAsync("1+1=?", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("no answer within 0.5 s (timeoutSeconds) on any of 2 attempts", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_500_answer_ends_in_an_error_naming_the_status()
    {
        using var model = Model("error500");
        var error = await Assert.ThrowsAsync<ChatModelException>(() => model.GetResponseAsync("1+1=?", cancellationToken: TestContext.Current.CancellationToken));
        Assert.StartsWith($"Chat model openai-compatible (m at {new Uri(_base, "error500/v1")}): the server answered HTTP 500 (after 0 retries)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_429_answer_is_retried_as_configured_then_named()
    {
        using var model = Model("ratelimited", retries: 2);
        var error = await Assert.ThrowsAsync<ChatModelException>(() => model.GetResponseAsync("1+1=?", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("the server answered HTTP 429 (after 2 retries)", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, _rateLimitedCalls);
    }

    [Fact]
    public async Task A_transient_503_is_retried_and_the_second_attempt_answers()
    {
        using var model = Model("flaky", retries: 1);
        ChatResponse response = await model.GetResponseAsync("1+1=?", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("17", response.Text);
        Assert.Equal(2, _flakyCalls);
    }

    [Fact]
    public async Task Malformed_JSON_ends_in_an_error_saying_the_answer_is_not_a_chat_completion()
    {
        using var model = Model("malformed");
        var error = await Assert.ThrowsAsync<ChatModelException>(() => model.GetResponseAsync("1+1=?", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("the server's answer is not an OpenAI chat completion", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("17", "17", true)]
    [InlineData("Surely 17.", "17", true)]
    [InlineData("it is 16", "17", false)]
    [InlineData("yes", "Yes.", true)]
    [InlineData("", "", false)]
    public void A_candidate_agrees_with_the_reference_by_its_last_number_or_its_text(string candidate, string reference, bool agrees) =>
        Assert.Equal(agrees, ChatFeedbackSource.Agrees(candidate, reference));
}
