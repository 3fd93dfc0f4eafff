using System.Text.Json;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Roles;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Manifests;
using AlignFx.Host.Runner;
using AlignFx.Host.Store;
using AlignFx.Tasks.Arithmetic;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignFx.ChatModels.Tests;

/// <summary>
/// <c>chat-feedback</c> as an assistable source (contracts 2.4): the critiques reach the model through the assisted
/// judge's template, the Feedback plugin's <c>assisted</c> source accepts it in a manifest and runs it, and a source
/// that cannot use critiques is refused at validation by its JSON path.
/// </summary>
public sealed class AssistedChatFeedbackTests(TinyPolicy tiny)
{
    private static readonly Prompt Question = new("q", "3+4*2-5=?");
    private static readonly Response Wrong = new(Question, "4*2=8, 3+8=12, 12-5=7. Surely 7.") { Id = "wrong" };
    private static readonly Response Right = new(Question, "4*2=8, 3+8=11, 11-5=6. 6") { Id = "right" };
    private static readonly Critique StepTwo = new("scripted", null, true, "Step 2 is wrong: 3+8=12.", 1);
    private static readonly Critique NoFlaw = new("scripted", null, false, "No flaw found.");
    private static readonly Assistance Assistance = new(0.5, 15, 0.05);

    [Fact]
    public async Task The_critiques_text_reaches_the_chat_model_and_can_change_its_label()
    {
        // The fake model prefers A unless it reads that A's step is wrong; the source is in its default (reference) mode.
        var model = new FakeChatModel(prompt => prompt.Contains("Step 2 is wrong", StringComparison.Ordinal) ? "B" : "A");
        using var source = new ChatFeedbackSource(new ChatFeedbackOptions(), new Factory(model), new TemplatePrompter());
        var pair = new PairwiseQuery("p1", Wrong, Right);

        AssistedAnswer answer = await source.AnswerAssistedAsync(pair, StepTwo, NoFlaw, new ArithmeticClaims(), Assistance, TestContext.Current.CancellationToken);

        Assert.Equal(2, model.Prompts.Count);
        Assert.DoesNotContain("Step 2 is wrong", model.Prompts[0], StringComparison.Ordinal);
        Assert.Equal($"Question: {Question.Text}\nAnswer A: {Wrong.Text}\nAnswer B: {Right.Text}\nWhich answer is correct? Reply with A or B.", model.Prompts[0]);
        Assert.Equal(
            $"Question: {Question.Text}\nAnswer A: {Wrong.Text}\nA critic on answer A: Step 2 is wrong: 3+8=12.\nAnswer B: {Right.Text}\n"
            + "A critic on answer B: No flaw found.\nWhich answer is correct? Reply with A or B.", model.Prompts[1]);
        Assert.Equal(1, answer.Unassisted.PreferFirst);
        Assert.Equal(0, answer.Assisted.PreferFirst);
        Assert.Null(answer.Checkable);
        Assert.Equal(0, answer.FlawsFound);
        Assert.Contains(answer.Assisted.Transcript!, t => t.Speaker == "user" && t.Text.Contains("Step 2 is wrong: 3+8=12.", StringComparison.Ordinal));
        Assert.Equal(ChatFeedbackSource.Name, answer.Assisted.Provenance.Source);
    }

    [Fact]
    public async Task A_query_shown_without_critiques_is_asked_once_and_a_missing_critique_is_named()
    {
        var model = new FakeChatModel(_ => "B");
        using var source = new ChatFeedbackSource(new ChatFeedbackOptions { Mode = ChatFeedbackMode.Judge }, new Factory(model), new TemplatePrompter());
        var pair = new PairwiseQuery("p1", Wrong, Right);

        AssistedAnswer none = await source.AnswerAssistedAsync(pair, null, null, new ArithmeticClaims(), Assistance, TestContext.Current.CancellationToken);
        Assert.Single(model.Prompts);
        Assert.Same(none.Unassisted, none.Assisted);

        await source.AnswerAssistedAsync(pair, StepTwo, null, new ArithmeticClaims(), Assistance, TestContext.Current.CancellationToken);
        Assert.Contains($"A critic on answer B: {ChatFeedbackSource.NoCritique}", model.Prompts[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_assisted_source_runs_the_chat_labeller_with_a_critic_and_its_records_show_the_critique_it_was_asked_with()
    {
        IComponentCatalog catalog = BuiltPlugins.Load("Tasks", "LanguageModels", "Feedback", "ChatModels", "Critics");
        // A helpful critic that always says something: a false alarm wherever it finds no real flaw. The tiny policy's
        // context (96 characters) holds little, so the questions are just the answers and just the critiques, and only
        // the first response is critiqued (the second's critique variable says none was shown).
        string path = Write("""
            { "name": "assisted", "options": {
                "source": { "name": "chat-feedback", "options": { "maxTokens": 4, "judge": { "template": "{{$a}}|{{$b}}" },
                  "assistedJudge": { "template": "{{$critique_a}}|{{$critique_b}}" } } },
                "critic": { "name": "scripted", "options": { "recall": 1, "falseAlarmRate": 1 } }, "critiqued": "first" } }
            """);
        ManifestResult<PipelineManifest> manifest = ManifestLoader.LoadPipeline(path, catalog);
        Assert.True(manifest.IsValid, manifest.FormatErrors());
        using RunStore store = RunStore.Open(Path.Combine(Path.GetDirectoryName(path)!, "alignfx.db"));

        RunOutcome outcome = await new PipelineRunner(catalog, store, NullLoggerFactory.Instance, TextWriter.Null)
            .RunAsync(manifest.Value!, cancellation: TestContext.Current.CancellationToken);

        Assert.True(outcome.Status == RunStatus.Completed, outcome.Error);
        FeedbackDataset labels = outcome.Artifacts.Get<FeedbackDataset>();
        Assert.Equal(4, labels.Records.Count);
        Assert.All(labels.Records, record =>
        {
            Assert.Equal("assisted", record.Provenance.Source);
            var critiques = record.Transcript!.Where(t => t.Speaker == "critic").ToList();
            Assert.Single(critiques);
            // The question the policy chat model was asked carries the text of both critiques.
            string asked = Assert.Single(record.Transcript!, t => t.Speaker == "user").Text;
            static string Said(TranscriptTurn turn) => turn.Text[(turn.Text.IndexOf("): ", StringComparison.Ordinal) + 3)..];
            Assert.Equal($"{Said(critiques[0])}|{ChatFeedbackSource.NoCritique}", asked);
        });
    }

    [Fact]
    public void A_source_that_cannot_use_critiques_is_refused_at_validation_by_its_json_path()
    {
        IComponentCatalog catalog = BuiltPlugins.Load("Tasks", "LanguageModels", "Feedback", "ChatModels", "Critics");
        string path = Write("""{ "name": "assisted", "options": { "source": "gold" } }""");

        ManifestResult<PipelineManifest> manifest = ManifestLoader.LoadPipeline(path, catalog);

        Assert.Equal(
            "$.stages[0].source.options.source: the feedback source 'gold' cannot use critiques (it does not implement IAssistableSource); "
            + "name one that can: chat-feedback, simulated-human",
            Assert.Single(manifest.Errors).ToString());
    }

    private string Write(string source)
    {
        string folder = tiny.NewFolder("assisted");
        string path = Path.Combine(folder, "m.json");
        File.WriteAllText(path, $$"""
            {
              "name": "assisted-chat", "seed": 4,
              "task": {{TinyPolicy.Task}},
              "policy": { "name": "gpt", "options": { "checkpoint": {{JsonSerializer.Serialize(tiny.Checkpoint)}} } },
              "stages": [ { "stage": "collect-feedback", "labels": 4, "maxNewTokens": 8, "source": {{source}} } ],
            }
            """);
        return path;
    }

    /// <summary>A chat model that records every prompt and replies by a rule.</summary>
    private sealed class FakeChatModel(Func<string, string> reply) : IChatClient
    {
        public List<string> Prompts { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            string prompt = messages.Last().Text;
            Prompts.Add(prompt);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, reply(prompt))) { ModelId = "fake" });
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    /// <summary>Renders <c>{{$name}}</c> by substitution (the host's prompter uses Semantic Kernel).</summary>
    private sealed class TemplatePrompter : IRolePrompter
    {
        public Task<string> RenderAsync(RolePrompt prompt, IReadOnlyDictionary<string, string> variables, CancellationToken ct) =>
            Task.FromResult(variables.Aggregate(prompt.Template!, (text, v) => text.Replace("{{$" + v.Key + "}}", v.Value, StringComparison.Ordinal)));

        public async Task<ChatResponse> AskAsync(IChatClient model, RolePrompt prompt, IReadOnlyDictionary<string, string> variables, ChatOptions? defaults, CancellationToken ct) =>
            await model.GetResponseAsync([new ChatMessage(ChatRole.User, await RenderAsync(prompt, variables, ct))], defaults, ct);
    }

    /// <summary>Creates the one chat model it holds.</summary>
    private sealed class Factory(IChatClient model) : IComponentFactory
    {
        public T Create<T>(ComponentRef reference) where T : class => (model as T)!;
    }
}
