using System.Text.Json.Nodes;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Roles;
using AlignFx.Host.Manifests;
using Microsoft.Extensions.AI;

namespace AlignFx.Debate.Tests;

/// <summary>The <c>chat</c> judge: a chat model decides where no check does; a bad or late reply forfeits its turn.</summary>
public sealed class ChatJudgeTests
{
    private static readonly List<(OversightQuestion Question, int Right)> Questions = Arena.Questions(9, 12);

    private static (DebateProtocol Debate, FakeChatModel Model) Debate(string reply, double delaySeconds = 0, double timeoutSeconds = 5, long seed = 4)
    {
        var model = new FakeChatModel(new FakeChatOptions { Reply = reply, DelaySeconds = delaySeconds });
        var options = new DebateOptions
        {
            Judge = new JudgeOptions { Name = DebateNames.ChatJudge, Model = new ComponentRef { Name = "fake" }, ChecksPerDebate = 0, TimeoutSeconds = timeoutSeconds },
        };
        return (new DebateProtocol(options, new TestRunContext(seed), Arena.GoldFree(Arena.Task(9, 12)), new Factory(model), new TemplatePrompter()), model);
    }

    [Fact]
    public async Task A_chat_judge_decides_where_no_check_does_from_the_question_the_answers_and_the_debate()
    {
        (DebateProtocol debate, FakeChatModel model) = Debate("B");

        foreach ((OversightQuestion question, _) in Questions)
        {
            ProtocolOutcome outcome = await debate.JudgeDetailedAsync(question, TestContext.Current.CancellationToken);
            Assert.All(outcome.Games, g =>
            {
                Assert.Equal(g.Order[1], g.Chosen);
                Assert.Equal(1, g.Confidence);
                Assert.False(g.JudgeForfeited);
                Assert.EndsWith($"B (verdict: candidate {g.Order[1]})", g.Transcript[^1].Text, StringComparison.Ordinal);
            });
        }
        string asked = model.Prompts[0];
        Assert.Contains(Questions[0].Question.Candidates[0].Prompt.Text, asked, StringComparison.Ordinal);
        Assert.Contains($"Answer A: {Questions[0].Question.Candidates[0].Text}", asked, StringComparison.Ordinal);
        Assert.Contains($"{Speakers.DebaterA}: I defend", asked, StringComparison.Ordinal);
        Assert.Equal(2 * Questions.Count, model.Prompts.Count);
    }

    [Theory]
    [InlineData("I cannot tell.", 0)]
    [InlineData("A or B", 0)]
    [InlineData("A", 2)]
    public async Task A_reply_outside_the_grammar_or_too_late_forfeits_the_judges_turn_and_a_seeded_coin_decides(string reply, double delaySeconds)
    {
        async Task<List<Game>> Games(long seed)
        {
            (DebateProtocol debate, _) = Debate(reply, delaySeconds, timeoutSeconds: 0.05, seed);
            var games = new List<Game>();
            foreach ((OversightQuestion question, _) in Questions.Take(4))
            {
                games.AddRange((await debate.JudgeDetailedAsync(question, TestContext.Current.CancellationToken)).Games);
            }
            return games;
        }

        List<Game> games = await Games(4);

        Assert.All(games, g =>
        {
            Assert.True(g.JudgeForfeited);
            Assert.Equal(0.5, g.Confidence);
            Assert.Contains(g.Transcript, t => t.Speaker == Speakers.Judge
                && t.Text.Contains(delaySeconds > 0 ? "gave no reply within 0.05 s: the turn is forfeited" : "outside the grammar (A or B): the turn is forfeited", StringComparison.Ordinal));
            Assert.StartsWith("a coin decides: candidate ", g.Transcript[^1].Text, StringComparison.Ordinal);
        });
        Assert.Equal(games.Select(g => g.Chosen), (await Games(4)).Select(g => g.Chosen));
    }

    [Fact]
    public async Task A_run_measures_debate_with_a_chat_judge_on_a_chat_model_component()
    {
        var catalog = new TestCatalog(BuiltPlugins.Load("Tasks", "Feedback", "Debate"),
            new ComponentDescriptor(ComponentKinds.Policy, "scripted", typeof(PipelineTests.CorpusPolicy), typeof(NoOptions), "corpus") { Plugin = "Debate.Tests" },
            new ComponentDescriptor(ComponentKinds.ChatModel, "fake-judge", typeof(FakeChatModel), typeof(FakeChatOptions), "replies as told") { Plugin = "Debate.Tests" });
        JsonObject manifest = JsonNode.Parse("""
            {
              "name": "chat-judge", "seed": 3,
              "task": { "name": "arithmetic", "options": { "operators": "+-", "hardDigits": 2, "hardOperations": 3, "testPrompts": 20 } },
              "policy": "scripted",
              "stages": [ { "stage": "oversee", "items": 10, "method": { "name": "debate", "options": {
                "judge": { "name": "chat", "model": { "name": "fake-judge", "options": { "reply": "A" } }, "checksPerDebate": 0 } } } } ]
            }
            """)!.AsObject();
        using var run = new ExampleRun();

        await run.RunAsync(manifest, catalog, TestContext.Current.CancellationToken);

        // The judge always says A: right whenever the right answer is presented first, wrong otherwise.
        Assert.Equal(1, run.Metric(OversightMetrics.AccuracyRightFirst).Single());
        Assert.Equal(0, run.Metric(OversightMetrics.AccuracyRightSecond).Single());
        Assert.Equal(0, run.Metric(OversightMetrics.JudgeForfeitRate).Single());
    }

    [Fact]
    public void A_chat_judge_without_a_model_is_refused_with_the_fix()
    {
        var errors = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        var judge = new JudgeOptions { Name = DebateNames.ChatJudge };

        Assert.False(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(judge, new(judge), errors, validateAllProperties: true));
        Assert.Contains(errors, e => e.ErrorMessage!.Contains("set judge.model to a chat-model component", StringComparison.Ordinal));
    }

    /// <summary>Options of the fake chat model.</summary>
    public sealed class FakeChatOptions
    {
        /// <summary>What it replies.</summary>
        public string Reply { get; set; } = "A";

        /// <summary>How long it takes to reply.</summary>
        public double DelaySeconds { get; set; }
    }

    /// <summary>A chat model that replies as told, after a delay, and remembers what it was asked.</summary>
    public sealed class FakeChatModel(FakeChatOptions options) : IChatClient
    {
        public List<string> Prompts { get; } = [];

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? chatOptions = null, CancellationToken cancellationToken = default)
        {
            Prompts.Add(string.Join("\n", messages.Select(m => m.Text)));
            if (options.DelaySeconds > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(options.DelaySeconds), cancellationToken);
            }
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, options.Reply));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? chatOptions = null,
            CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    /// <summary>Renders <c>{{$name}}</c> by substitution (the host's prompter uses Semantic Kernel).</summary>
    internal sealed class TemplatePrompter : IRolePrompter
    {
        public Task<string> RenderAsync(RolePrompt prompt, IReadOnlyDictionary<string, string> variables, CancellationToken ct) =>
            Task.FromResult(variables.Aggregate(prompt.Template!, (text, v) => text.Replace("{{$" + v.Key + "}}", v.Value, StringComparison.Ordinal)));

        public async Task<ChatResponse> AskAsync(IChatClient model, RolePrompt prompt, IReadOnlyDictionary<string, string> variables, ChatOptions? defaults, CancellationToken ct) =>
            await model.GetResponseAsync([new ChatMessage(ChatRole.User, await RenderAsync(prompt, variables, ct))], defaults, ct);
    }

    /// <summary>Creates the one chat model it holds.</summary>
    internal sealed class Factory(IChatClient model) : IComponentFactory
    {
        public T Create<T>(ComponentRef reference) where T : class => (model as T)!;
    }
}
