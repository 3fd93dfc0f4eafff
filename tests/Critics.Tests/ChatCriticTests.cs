using System.Text.Json.Nodes;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Roles;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tasks.Arithmetic;
using Microsoft.Extensions.AI;

namespace AlignFx.Critics.Tests;

/// <summary>The <c>chat</c> critic: any chat model, the principle's critique request, a strict reply grammar, never stalled.</summary>
public sealed class ChatCriticTests
{
    private static readonly Prompt Question = new("q", "3+4*2-5=?");

    /// <summary>Two working steps, the second wrong, and a final claim: claims 0, 1 (false), 2 (false).</summary>
    private static readonly Response Flawed = new(Question, "4*2=8, 3+8=12, 12-5=7. Surely 7.") { Id = "flawed" };

    private static (ChatCritic Critic, FakeChatModel Model, RecordingRunContext Context) Critic(string reply, double delaySeconds = 0, double timeoutSeconds = 5, bool principleTemplates = true)
    {
        var model = new FakeChatModel(reply, delaySeconds);
        var context = new RecordingRunContext();
        var options = new ChatCriticOptions { Model = new ComponentRef { Name = "fake" }, TimeoutSeconds = timeoutSeconds, UsePrincipleTemplates = principleTemplates };
        return (new ChatCritic(options, TestResponses.Task(1, 0), new Factory(model), new TemplatePrompter(), context), model, context);
    }

    [Theory]
    [InlineData("step 2", true, 1)]
    [InlineData("Step 2 is wrong: 3+8=12.", true, 1)]
    [InlineData("claim 1", true, 0)]
    [InlineData("The answer is wrong.", true, 3)]
    [InlineData("final answer", true, 3)]
    [InlineData("flaw", true, null)]
    [InlineData("none", false, null)]
    [InlineData("No error.", false, null)]
    public async Task A_reply_in_the_grammar_becomes_a_critique_pointing_at_the_claim_it_names(string reply, bool flawed, int? claim)
    {
        (ChatCritic critic, _, RecordingRunContext context) = Critic(reply);

        Critique critique = await critic.CritiqueAsync(Flawed, null, TestContext.Current.CancellationToken);

        Assert.Equal(flawed, critique.Flawed);
        Assert.Equal(claim, critique.ClaimIndex);
        Assert.Equal(CriticComponents.Chat, critique.Critic);
        Assert.Equal(0, critic.OutsideGrammar);
        Assert.DoesNotContain(context.Logged, m => m.Name == CriticMetrics.ChatOutsideGrammar);
    }

    [Theory]
    [InlineData("I think it is fine.")]
    [InlineData("step 9")]
    [InlineData("flawed")]
    [InlineData("")]
    public async Task A_reply_outside_the_grammar_is_recorded_and_counts_as_no_critique(string reply)
    {
        (ChatCritic critic, _, RecordingRunContext context) = Critic(reply);

        Critique first = await critic.CritiqueAsync(Flawed, null, TestContext.Current.CancellationToken);
        Critique second = await critic.CritiqueAsync(Flawed, null, TestContext.Current.CancellationToken);

        Assert.False(first.Flawed);
        Assert.Null(first.ClaimIndex);
        Assert.Contains("outside the grammar", first.Text, StringComparison.Ordinal);
        Assert.Equal(2, critic.OutsideGrammar);
        Assert.Equal([1.0, 2.0], context.Logged.Where(m => m.Name == CriticMetrics.ChatOutsideGrammar).Select(m => m.Value));
        Assert.Equal(second.Text, first.Text);
    }

    [Fact]
    public async Task A_model_that_does_not_reply_in_time_is_recorded_and_never_stalls_the_caller()
    {
        (ChatCritic critic, _, RecordingRunContext context) = Critic("step 2", delaySeconds: 30, timeoutSeconds: 0.05);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        Critique critique = await critic.CritiqueAsync(Flawed, null, TestContext.Current.CancellationToken);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.False(critique.Flawed);
        Assert.Contains("no reply within 0.05 s", critique.Text, StringComparison.Ordinal);
        Assert.Equal(1, critic.Timeouts);
        Assert.Single(context.Logged, m => m.Name == CriticMetrics.ChatTimeouts);
    }

    [Fact]
    public async Task The_principles_own_critique_request_is_asked_and_the_default_prompt_shows_the_claims_otherwise()
    {
        var principle = new Principle
        {
            Name = "wrong-steps",
            Description = "Point out any working step that is wrong.",
            Critique = RolePrompt.Inline("Q: {{$prompt}} A: {{$response}} P: {{$principle}} Name the wrong step."),
            Concerns = [GoldFeatures.StepErrors],
        };
        (ChatCritic critic, FakeChatModel model, _) = Critic("step 2");
        (ChatCritic plain, FakeChatModel plainModel, _) = Critic("step 2", principleTemplates: false);

        Critique critique = await critic.CritiqueAsync(Flawed, principle, TestContext.Current.CancellationToken);
        await plain.CritiqueAsync(Flawed, principle, TestContext.Current.CancellationToken);

        Assert.Equal("wrong-steps", critique.Principle);
        Assert.Equal($"Q: {Question.Text} A: {Flawed.Text} P: {principle.Description} Name the wrong step.", model.Prompts.Single());
        Assert.Contains("Claims: 1 4*2=8, 2 3+8=12, 3 12-5=7. 3+4*2-5=7", plainModel.Prompts.Single(), StringComparison.Ordinal);
        Assert.Equal(0.0f, plainModel.Options.Single()!.Temperature);
    }

    [Fact]
    public void A_chat_critic_without_a_model_is_refused_with_the_fix()
    {
        var options = new ChatCriticOptions();
        var errors = new List<System.ComponentModel.DataAnnotations.ValidationResult>();

        Assert.False(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), errors, validateAllProperties: true));
        Assert.Contains(errors, e => e.ErrorMessage!.Contains("set model to a chat-model component", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_tiny_policy_chat_model_critiques_in_a_run_and_every_reply_is_parsed_or_recorded()
    {
        // The gpt policy at a tiny size with random weights, served as the `policy` chat model: its replies are
        // gibberish, so the run shows the critic records them and goes on (and a model of the run can be the critic).
        JsonObject manifest = JsonNode.Parse("""
            {
              "name": "chat-critic-policy", "seed": 2,
              "task": { "name": "arithmetic", "options": { "operators": "+-", "hardOperations": 3, "trainPrompts": 60 } },
              "policy": { "name": "gpt", "options": { "layers": 1, "dModel": 16, "heads": 2 } },
              "stages": [ { "stage": "critique-revise", "rounds": 1, "prompts": 12, "maxNewTokens": 16,
                "critic": { "name": "chat", "options": { "model": { "name": "policy", "options": { "maxNewTokens": 8 } }, "timeoutSeconds": 30 } },
                "constitution": { "principles": [ { "name": "wrong-steps", "concerns": ["step_errors"],
                  "critique": { "template": "{{$prompt}} {{$response}}" } } ] } } ]
            }
            """)!.AsObject();
        using var run = new ExampleRun();

        await run.RunAsync(manifest, TrainedCriticRun.Catalog, TestContext.Current.CancellationToken);

        var chains = run.Outcome.Artifacts.Get<IReadOnlyList<AlignFx.Abstractions.Feedback.CorrectionFeedback>>("critique-revise");
        Assert.Equal(12, chains.Count);
        var critiques = chains.Select(c => c.Transcript!.Single(t => t.Speaker == "critic").Text).ToList();
        Assert.All(critiques, t => Assert.StartsWith("chat: ", t, StringComparison.Ordinal));
        int outside = critiques.Count(t => t.Contains("outside the grammar", StringComparison.Ordinal));
        IReadOnlyList<double> logged = run.Metric(CriticMetrics.ChatOutsideGrammar);
        Assert.Equal(outside, logged.Count == 0 ? 0 : (int)logged[^1]);
    }

    /// <summary>A run context that keeps the metrics logged to it.</summary>
    private sealed class RecordingRunContext : AlignFx.Abstractions.Runs.IRunContext, AlignFx.Abstractions.Runs.IMetricSink
    {
        public List<(string Name, double Value, long Step)> Logged { get; } = [];
        public string RunId => "test";
        public long Seed => 1;
        public Microsoft.Extensions.Logging.ILogger Logger => Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        public AlignFx.Abstractions.Runs.IMetricSink Metrics => this;
        public AlignFx.Abstractions.Runs.IArtifactStore Files => throw new NotSupportedException();
        public AlignFx.Abstractions.Runs.IProgressReporter Progress => throw new NotSupportedException();
        public CancellationToken Cancellation => CancellationToken.None;
        public string Device => "cpu";

        public void Log(string name, double value, long step) => Logged.Add((name, value, step));
    }

    /// <summary>A chat model that replies as told, after a delay, and remembers what it was asked and with which options.</summary>
    private sealed class FakeChatModel(string reply, double delaySeconds) : IChatClient
    {
        public List<string> Prompts { get; } = [];

        public List<ChatOptions?> Options { get; } = [];

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Prompts.Add(string.Join("\n", messages.Select(m => m.Text)));
            Options.Add(options);
            if (delaySeconds > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(delaySeconds), cancellationToken);
            }
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, reply));
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

/// <summary>The grammar critics' replies are read by.</summary>
public sealed class CritiqueGrammarTests
{
    private static readonly IReadOnlyList<Claim> Claims =
        [ArithmeticClaims.Of("4*2=8"), ArithmeticClaims.Of("3+8=12"), ArithmeticClaims.Of("3+4*2=12") with { IsFinal = true }];

    [Fact]
    public void The_claims_line_numbers_the_steps_and_ends_with_the_final_claim()
    {
        Assert.Equal("1 4*2=8, 2 3+8=12. 3+4*2=12", CritiqueGrammar.Input(Claims));
        Assert.Equal("3+4*2=12", CritiqueGrammar.Input([Claims[2]]));
        Assert.Equal("1 4*2=8", CritiqueGrammar.Input([Claims[0]]));
    }

    [FsCheck.Xunit.Property]
    public bool Step_n_points_at_claim_n_within_the_steps_and_is_outside_the_grammar_beyond_them(FsCheck.PositiveInt n, bool capital)
    {
        ParsedReply parsed = CritiqueGrammar.Parse($"{(capital ? "Step" : "step")} {n.Get} is wrong", Claims);
        return n.Get <= 2 ? parsed == new ParsedReply(ReplyKind.Claim, n.Get - 1) : parsed.Kind == ReplyKind.Outside;
    }

    [Fact]
    public void The_answer_points_at_the_final_claim_and_is_outside_the_grammar_for_a_response_without_one()
    {
        Assert.Equal(new ParsedReply(ReplyKind.Claim, 2), CritiqueGrammar.Parse("the answer is wrong", Claims));
        Assert.Equal(ReplyKind.Outside, CritiqueGrammar.Parse("the answer is wrong", Claims.Take(2).ToList()).Kind);
        Assert.Equal(ReplyKind.Flaw, CritiqueGrammar.Parse("step 4", null).Kind);
    }
}
