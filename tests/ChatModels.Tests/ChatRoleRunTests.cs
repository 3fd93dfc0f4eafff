using System.Net;
using System.Text.Json;
using AlignFx.Abstractions.Policies;
using AlignFx.Host.Chat;
using AlignFx.Host.Cli;
using AlignFx.Host.Manifests;
using AlignFx.Host.Runner;
using AlignFx.Host.Serve;
using AlignFx.Host.Store;
using Microsoft.Extensions.Logging.Abstractions;
using IChatClient = Microsoft.Extensions.AI.IChatClient;

namespace AlignFx.ChatModels.Tests;

/// <summary>
/// Pipelines whose labeller is a chat model, end to end: a tiny policy served by <c>alignfx serve</c> on a loopback port,
/// a manifest role that reaches it through <c>openai-compatible</c>, the store's usage and cache, and <c>--replay</c>
/// with the server stopped.
/// </summary>
public sealed class ChatRoleRunTests(TinyPolicy tiny)
{
    private string Manifest(string model, long seed = 5) => $$"""
        {
          "name": "chat-labels",
          "seed": {{seed}},
          "task": {{TinyPolicy.Task}},
          "policy": { "name": "gpt", "options": { "checkpoint": {{JsonSerializer.Serialize(tiny.Checkpoint)}} } },
          "stages": [
            { "stage": "collect-feedback", "labels": 6, "maxNewTokens": 8, "source": { "name": "chat-feedback", "options": { "model": {{model}}, "maxTokens": 8 } } },
          ],
        }
        """;

    private static string Remote(Uri baseAddress, int retries = 0) =>
        $$"""{ "name": "openai-compatible", "options": { "baseUrl": "{{baseAddress}}", "model": "tiny", "timeoutSeconds": 30, "maxRetries": {{retries}} } }""";

    private async Task<RunOutcome> RunAsync(RunStore store, string manifest, bool replay = false)
    {
        string path = Path.Combine(tiny.NewFolder("manifest"), "m.json");
        File.WriteAllText(path, manifest);
        ManifestResult<PipelineManifest> loaded = ManifestLoader.LoadPipeline(path, tiny.Catalog);
        Assert.True(loaded.IsValid, loaded.FormatErrors());
        var runner = new PipelineRunner(tiny.Catalog, store, NullLoggerFactory.Instance, TextWriter.Null) { Replay = replay };
        return await runner.RunAsync(loaded.Value!, cancellation: TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_served_policy_labels_through_openai_compatible_and_replay_with_the_server_stopped_gives_identical_labels()
    {
        using RunStore store = RunStore.Open(Path.Combine(tiny.NewFolder("store"), "alignfx.db"));
        var chat = new ChatStore(store);
        IChatClient policyModel = ServeCommand.CreatePolicyChatModel(tiny.Catalog, NullLoggerFactory.Instance, tiny.Checkpoint, "tiny");
        PolicyServer server = await PolicyServer.StartAsync(
            new ServeOptions((IPolicy)policyModel.GetService(typeof(IPolicy))!, "tiny", IPAddress.Loopback, 0), ct: TestContext.Current.CancellationToken);
        string manifest = Manifest(Remote(server.BaseAddress));

        // Recorded against the live server: every label has its exchange as transcript and the tokens it cost.
        RunOutcome live;
        try
        {
            live = await RunAsync(store, manifest);
        }
        finally
        {
            await server.DisposeAsync();
            policyModel.Dispose();
        }
        Assert.True(live.Status == RunStatus.Completed, live.Error);
        IReadOnlyList<FeedbackEntry> labels = store.GetFeedback(live.RunId);
        IReadOnlyList<ChatCall> calls = chat.GetCalls(live.RunId);
        Assert.Equal(6, labels.Count);
        Assert.All(labels, l => Assert.Equal("chat-feedback", l.Source));
        Assert.All(labels, l => Assert.Equal("tiny", l.Annotator));
        Assert.All(labels, l => Assert.Contains("\"speaker\":\"assistant\"", l.PayloadJson, StringComparison.Ordinal));
        Assert.NotEmpty(calls);
        Assert.All(calls, c => Assert.False(c.Cached));
        Assert.All(calls, c => Assert.Equal("openai-compatible", c.Model));
        Assert.All(calls, c => Assert.True(c.InputTokens > 0 && c.OutputTokens > 0 && c.TotalTokens == c.InputTokens + c.OutputTokens));
        Assert.Equal(calls.Sum(c => (double)c.TotalTokens!.Value), labels.Sum(l => l.Cost));
        Assert.Equal(calls.Count, chat.CachedResponses);

        // Replayed with the server gone: the same labels, transcripts and costs, every answer from the cache.
        RunOutcome replayed = await RunAsync(store, manifest, replay: true);
        Assert.True(replayed.Status == RunStatus.Completed, replayed.Error);
        Assert.Equal(labels.Select(l => (l.PayloadJson, l.Cost, l.Confidence)), store.GetFeedback(replayed.RunId).Select(l => (l.PayloadJson, l.Cost, l.Confidence)));
        IReadOnlyList<ChatCall> replayedCalls = chat.GetCalls(replayed.RunId);
        Assert.Equal(calls.Select(c => (c.ModelId, c.InputTokens, c.OutputTokens)), replayedCalls.Select(c => (c.ModelId, c.InputTokens, c.OutputTokens)));
        Assert.All(replayedCalls, c => Assert.True(c.Cached));

        // A request the recorded run never made (another seed) fails the replay, naming the role and the request.
        RunOutcome missed = await RunAsync(store, Manifest(Remote(server.BaseAddress), seed: 6), replay: true);
        Assert.Equal(RunStatus.Failed, missed.Status);
        Assert.StartsWith("stage 0 'collect-feedback' (stage 'collect-feedback' from plugin 'Feedback') failed: InvalidOperationException: "
            + "chat-feedback: the labeller's chat model 'openai-compatible' failed on query ", missed.Error, StringComparison.Ordinal);
        Assert.Contains(": --replay: the store has no recorded answer of chat model 'openai-compatible' to 1 message, the last (user): \"", missed.Error, StringComparison.Ordinal);
        Assert.Contains("(seed 6, temperature 0, max tokens 8); run without --replay, with the model reachable, to record it.", missed.Error, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Failed, store.GetRun(missed.RunId)!.Run.Status);
    }

    [Fact]
    public async Task A_run_whose_chat_model_server_is_down_is_marked_failed_naming_the_role_and_the_cause()
    {
        using RunStore store = RunStore.Open(Path.Combine(tiny.NewFolder("store"), "alignfx.db"));
        var nowhere = new Uri($"http://127.0.0.1:{ServeTests.FreePort()}/");
        RunOutcome outcome = await RunAsync(store, Manifest(Remote(nowhere)));
        Assert.Equal(RunStatus.Failed, outcome.Status);
        Assert.Contains("chat-feedback: the labeller's chat model 'openai-compatible' failed on query", outcome.Error, StringComparison.Ordinal);
        Assert.Contains($"Chat model openai-compatible (tiny at {nowhere}v1): the server could not be reached", outcome.Error, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Failed, store.GetRun(outcome.RunId)!.Run.Status);
    }

    [Fact]
    public async Task The_pipelines_own_policy_can_label_as_the_policy_chat_model_with_usage_recorded_and_nothing_cached()
    {
        using RunStore store = RunStore.Open(Path.Combine(tiny.NewFolder("store"), "alignfx.db"));
        var chat = new ChatStore(store);
        RunOutcome outcome = await RunAsync(store, Manifest("\"policy\""));
        Assert.True(outcome.Status == RunStatus.Completed, outcome.Error);
        IReadOnlyList<ChatCall> calls = chat.GetCalls(outcome.RunId);
        Assert.NotEmpty(calls);
        Assert.All(calls, c => Assert.Equal(("policy", "policy", false), (c.Model, c.ModelId, c.Cached)));
        Assert.All(calls, c => Assert.True(c.InputTokens > 0 && c.OutputTokens > 0));
        Assert.Equal(0, chat.CachedResponses);
        Assert.Equal(calls.Sum(c => (double)c.TotalTokens!.Value), store.GetFeedback(outcome.RunId).Sum(l => l.Cost));

        // `alignfx runs show` sums them by stage and model.
        var shown = new StringWriter();
        RunViews.WriteRunShow(store, outcome.RunId, shown);
        string[] lines = shown.ToString().Split('\n');
        int section = Array.IndexOf(lines, "Chat models");
        Assert.True(section > 0, shown.ToString());
        Assert.Matches(@"^\s+STAGE\s+MODEL\s+CALLS\s+CACHED\s+INPUT TOKENS\s+OUTPUT TOKENS$", lines[section + 1]);
        Assert.Equal(["0", "policy", calls.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), "0",
                calls.Sum(c => c.InputTokens!.Value).ToString(System.Globalization.CultureInfo.InvariantCulture),
                calls.Sum(c => c.OutputTokens!.Value).ToString(System.Globalization.CultureInfo.InvariantCulture)],
            lines[section + 2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }
}

/// <summary>The chat examples bind against the built plugins (examples/chat/ is not in the folder other projects check).</summary>
public sealed class ChatExampleTests(TinyPolicy tiny)
{
    [Theory]
    [InlineData("self-labels.json")]
    [InlineData("served-labeller.json")]
    public void The_chat_example_is_a_valid_pipeline(string file)
    {
        ManifestResult<PipelineManifest> manifest = ManifestLoader.LoadPipeline(Path.Combine(AppContext.BaseDirectory, "examples", "chat", file), tiny.Catalog);
        Assert.True(manifest.IsValid, manifest.FormatErrors());
    }

    [Theory]
    [InlineData("\"maxRetries\": 2, \"apiKey\": \"sk-secret\"", "http://127.0.0.1:8000",
        "$.stages[1].source.options.model.options.apiKey: unknown option 'apiKey'; the options of chat model 'openai-compatible' are: baseUrl, model, apiKeyVariable, timeoutSeconds, maxRetries")]
    [InlineData("\"maxRetries\": 2", "localhost:8000",
        "$.stages[1].source.options.model.options.baseUrl: must be an absolute http or https URL, for example http://127.0.0.1:8000/v1")]
    public void A_manifest_with_an_api_key_in_its_options_or_a_bad_base_url_is_refused_before_any_work(string retries, string baseUrl, string error)
    {
        string path = Path.Combine(tiny.NewFolder("refused"), "m.json");
        File.WriteAllText(path, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "examples", "chat", "served-labeller.json"))
            .Replace("\"maxRetries\": 2", retries, StringComparison.Ordinal)
            .Replace("http://127.0.0.1:8000", baseUrl, StringComparison.Ordinal));
        ManifestResult<PipelineManifest> manifest = ManifestLoader.LoadPipeline(path, tiny.Catalog);
        Assert.Equal(error, Assert.Single(manifest.Errors).ToString());
    }
}

/// <summary><c>alignfx run --replay</c> from the command line.</summary>
public sealed class ReplayCommandTests(TinyPolicy tiny)
{
    [Fact]
    public void Run_with_replay_and_nothing_recorded_exits_1_and_names_the_request_it_lacks()
    {
        string dir = tiny.NewFolder("cli");
        string manifest = Path.Combine(dir, "m.json");
        File.WriteAllText(manifest, $$"""
            {
              "name": "replay-miss",
              "seed": 9,
              "task": {{TinyPolicy.Task}},
              "policy": { "name": "gpt", "options": { "checkpoint": {{JsonSerializer.Serialize(tiny.Checkpoint)}} } },
              "stages": [ { "stage": "collect-feedback", "labels": 2, "maxNewTokens": 4, "source": { "name": "chat-feedback", "options": {
                "model": { "name": "openai-compatible", "options": { "baseUrl": "http://127.0.0.1:9", "model": "tiny" } }, "maxTokens": 4 } } } ],
            }
            """);
        string plugins = Path.GetDirectoryName(((AlignFx.Host.Plugins.PluginCatalog)tiny.Catalog).Plugins.Single(p => p.Name == "ChatModels").Folder)!;
        var output = new StringWriter();
        var error = new StringWriter();

        int code = AlignFxCli.Invoke(["run", manifest, "--replay", "--store", Path.Combine(dir, "runs", "alignfx.db"), "--plugins", plugins], output, error);

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("--replay: the store has no recorded answer of chat model 'openai-compatible' to 1 message, the last (user): \"", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("(seed 9, temperature 0, max tokens 4); run without --replay, with the model reachable, to record it.", output.ToString(), StringComparison.Ordinal);
    }
}
