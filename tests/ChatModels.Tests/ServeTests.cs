#pragma warning disable OPENAI001 // ChatCompletionOptions.Seed is marked experimental by the OpenAI SDK
using System.ClientModel;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Cli;
using AlignFx.Host.Serve;
using AlignFx.LanguageModels;
using AlignFx.Tensors;
using IChatClient = Microsoft.Extensions.AI.IChatClient;
using Microsoft.Extensions.Logging.Abstractions;
using OpenAI;
using OpenAI.Chat;
using OpenAIChatClient = OpenAI.Chat.ChatClient;

namespace AlignFx.ChatModels.Tests;

/// <summary><c>alignfx serve</c> over real HTTP on a loopback port, asked by the OpenAI 2.x client library.</summary>
public sealed class ServeTests(TinyPolicy tiny) : IAsyncLifetime
{
    private const string ModelId = "tiny";
    private IChatClient _chat = null!;
    private PolicyServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _chat = ServeCommand.CreatePolicyChatModel(tiny.Catalog, NullLoggerFactory.Instance, tiny.Checkpoint, ModelId);
        var policy = (IPolicy)_chat.GetService(typeof(IPolicy))!;
        _server = await PolicyServer.StartAsync(new ServeOptions(policy, ModelId, IPAddress.Loopback, 0), ct: TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _chat.Dispose();
    }

    private OpenAIChatClient Client(string? model = null) => new(model ?? ModelId, new ApiKeyCredential("unused"),
        new OpenAIClientOptions { Endpoint = new Uri(_server.BaseAddress, "v1"), NetworkTimeout = TimeSpan.FromSeconds(30) });

    [Fact]
    public async Task The_models_endpoint_lists_the_served_model_for_the_OpenAI_client()
    {
        var models = new OpenAI.Models.OpenAIModelClient(new ApiKeyCredential("unused"),
            new OpenAIClientOptions { Endpoint = new Uri(_server.BaseAddress, "v1") });
        var list = (await models.GetModelsAsync(TestContext.Current.CancellationToken)).Value;
        Assert.Equal(ModelId, Assert.Single(list).Id);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_sample_and_the_answer_is_the_policys_own_sample()
    {
        var options = new ChatCompletionOptions { Temperature = 0.9f, TopP = 0.95f, MaxOutputTokenCount = 12, Seed = 7 };
        ChatCompletion first = (await Client().CompleteChatAsync([new UserChatMessage("12+7=?")], options, TestContext.Current.CancellationToken)).Value;
        ChatCompletion again = (await Client().CompleteChatAsync([new UserChatMessage("12+7=?")], options, TestContext.Current.CancellationToken)).Value;
        Assert.Equal(first.Content[0].Text, again.Content[0].Text);
        Assert.Equal(ModelId, first.Model);

        // The policy itself, sampling with the same settings and seed, says the same.
        using GptPolicy policy = GptPolicy.Load(tiny.Checkpoint);
        Response direct = (await policy.GenerateAsync([new Prompt("p", "12+7=?")],
            new GenerationOptions { Temperature = 0.9f, TopP = 0.95f, MaxNewTokens = 12, Seed = 7 }, TestContext.Current.CancellationToken))[0];
        Assert.Equal(direct.Text, first.Content[0].Text);
        Assert.Equal(direct.TokenIds!.Count, first.Usage.OutputTokenCount);
        Assert.Equal("12+7=?".Length, first.Usage.InputTokenCount); // characters, under the char tokenizer

        // Different seeds give different samples (at temperature 1.5 over ten seeds, at least two distinct answers).
        var texts = new HashSet<string>();
        for (int seed = 0; seed < 10; seed++)
        {
            var hot = new ChatCompletionOptions { Temperature = 1.5f, MaxOutputTokenCount = 12, Seed = seed };
            texts.Add((await Client().CompleteChatAsync([new UserChatMessage("3+4=?")], hot, TestContext.Current.CancellationToken)).Value.Content[0].Text);
        }
        Assert.True(texts.Count >= 2, string.Join(" | ", texts));
    }

    [Fact]
    public async Task Logprobs_equal_the_policys_ScoreTokens_within_1e_4()
    {
        var options = new ChatCompletionOptions { Temperature = 0.7f, MaxOutputTokenCount = 16, Seed = 11, IncludeLogProbabilities = true };
        ChatCompletion answer = (await Client().CompleteChatAsync([new UserChatMessage("45-17=?")], options, TestContext.Current.CancellationToken)).Value;
        string text = answer.Content[0].Text;
        IReadOnlyList<ChatTokenLogProbabilityDetails> served = answer.ContentTokenLogProbabilities;
        Assert.Equal(text, string.Concat(served.Select(t => t.Token)));

        using GptPolicy policy = GptPolicy.Load(tiny.Checkpoint);
        int[] ids = [.. policy.Tokenizer.Encode(text), .. answer.FinishReason == ChatFinishReason.Stop ? new[] { CharTokenizer.Eos } : []];
        float[] expected;
        using (torch.no_grad())
        {
            TokenScores scores = policy.ScoreTokens([new Response(new Prompt("p", "45-17=?"), text) { TokenIds = ids }]);
            expected = scores.LogProbs.contiguous().ToArray<float>();
        }
        Assert.Equal(text.Length, served.Count);
        for (int t = 0; t < served.Count; t++)
        {
            Assert.True(Math.Abs(served[t].LogProbability - expected[t]) < 1e-4, $"token {t}: served {served[t].LogProbability}, ScoreTokens {expected[t]}");
        }
    }

    [Fact]
    public async Task Greedy_decoding_stop_sequences_max_tokens_and_n_choices_follow_the_request()
    {
        using var http = new HttpClient { BaseAddress = _server.BaseAddress };
        // n = 3 choices in one request, reproducible by seed, each as long as max_tokens allows.
        JsonObject three = await PostAsync(http, """{"model":"tiny","messages":[{"role":"user","content":"8+9=?"}],"n":3,"seed":5,"max_tokens":6,"temperature":1.2}""");
        JsonObject threeAgain = await PostAsync(http, """{"model":"tiny","messages":[{"role":"user","content":"8+9=?"}],"n":3,"seed":5,"max_tokens":6,"temperature":1.2}""");
        var choices = three["choices"]!.AsArray();
        Assert.Equal(3, choices.Count);
        Assert.Equal(three["choices"]!.ToJsonString(), threeAgain["choices"]!.ToJsonString());
        Assert.All(choices, c => Assert.True(c!["message"]!["content"]!.GetValue<string>().Length <= 6));
        // Under the char tokenizer a choice is one token per character, plus the end token when it stopped by itself.
        Assert.Equal(choices.Sum(c => c!["message"]!["content"]!.GetValue<string>().Length + (c["finish_reason"]!.GetValue<string>() == "stop" ? 1 : 0)),
            three["usage"]!["completion_tokens"]!.GetValue<int>());

        // Greedy (temperature 0) is the policy's greedy answer; a stop sequence cuts it where it first appears.
        JsonObject greedy = await PostAsync(http, """{"messages":[{"role":"user","content":"5+5=?"}],"temperature":0,"max_tokens":20}""");
        string greedyText = greedy["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        using GptPolicy policy = GptPolicy.Load(tiny.Checkpoint);
        Response direct = (await policy.GenerateAsync([new Prompt("p", "5+5=?")], new GenerationOptions { Temperature = 0, MaxNewTokens = 20 },
            TestContext.Current.CancellationToken))[0];
        Assert.Equal(direct.Text, greedyText);
        if (greedyText.Length >= 2)
        {
            string stop = greedyText[1..2];
            JsonObject stopped = await PostAsync(http, $$"""{"messages":[{"role":"user","content":"5+5=?"}],"temperature":0,"max_tokens":20,"stop":"{{stop}}"}""");
            string cut = stopped["choices"]![0]!["message"]!["content"]!.GetValue<string>();
            Assert.True(cut.Length <= greedyText.IndexOf(stop, StringComparison.Ordinal) + 1, $"'{cut}' should end at the first '{stop}' of '{greedyText}'");
        }
        JsonObject one = await PostAsync(http, """{"messages":[{"role":"user","content":"5+5=?"}],"temperature":0,"max_tokens":1}""");
        Assert.Equal("length", one["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{not json", 400, "not valid JSON")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"1+1=?"}]}""", 404, "the model 'gpt-4o' does not exist; this server serves 'tiny'")]
    [InlineData("""{"messages":[{"role":"user","content":"1+1=?"}],"stream":true}""", 400, "stream is not supported")]
    [InlineData("""{"messages":[{"role":"system","content":"hi"}]}""", 400, "messages has no user message to answer")]
    [InlineData("""{"messages":[{"role":"user","content":"1+1=?"}],"temperature":3}""", 400, "temperature must be in [0, 2]")]
    [InlineData("""{"messages":[{"role":"user","content":"1+1=?"}],"top_logprobs":3,"logprobs":true}""", 400, "top_logprobs is not supported")]
    public async Task Bad_requests_get_an_OpenAI_error_that_names_the_problem(string body, int status, string message)
    {
        using var http = new HttpClient { BaseAddress = _server.BaseAddress };
        using HttpResponseMessage response = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);
        Assert.Equal(status, (int)response.StatusCode);
        JsonNode error = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["error"]!;
        Assert.Contains(message, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_on_a_busy_port_ends_at_once_with_an_error_that_names_the_port_and_the_fix()
    {
        int port = _server.BaseAddress.Port;
        var output = new StringWriter();
        var error = new StringWriter();
        string plugins = ((AlignFx.Host.Plugins.PluginCatalog)tiny.Catalog).Plugins.Single(p => p.Name == "LanguageModels").Folder;
        int code = AlignFxCli.Invoke(["serve", tiny.Checkpoint, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--plugins", plugins],
            output, error);
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Equal($"error: Port {port} on 127.0.0.1 is in use by another process; pick another with --port (or stop what holds it).{Environment.NewLine}",
            error.ToString());
    }

    private static async Task<JsonObject> PostAsync(HttpClient http, string body)
    {
        using HttpResponseMessage response = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>A loopback port nothing listens on (bound and released).</summary>
    internal static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
