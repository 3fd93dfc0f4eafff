using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Manifests;

namespace AlignFx.Debate.Tests;

/// <summary>Policy debaters: the move grammar, the arena's batched replays, the warm start, and training by self-play in a host run.</summary>
public sealed class SelfPlayTests
{
    private static readonly Lazy<IComponentCatalog> Catalog = new(() => BuiltPlugins.Load("Tasks", "LanguageModels", "Ppo", "Debate"));

    /// <summary>A policy whose reply to a debater's state is a function of the state (it ignores the seed).</summary>
    private sealed class RulePolicy(Func<string, string> reply) : IPolicy
    {
        public int Calls { get; private set; }

        public Task<IReadOnlyList<Response>> GenerateAsync(IReadOnlyList<Prompt> prompts, GenerationOptions options, CancellationToken ct)
        {
            Calls++;
            return Task.FromResult<IReadOnlyList<Response>>([.. prompts.Select(p => new Response(p, reply(p.Text)))]);
        }

        public Task<IReadOnlyList<float[]>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct) => throw new NotSupportedException();
    }

    /// <summary>Disputes the last working step (the one that carries a wrong chain's result): the claim before the final one.</summary>
    private static string DisputeLastStep(string state)
    {
        int claims = state.Split(", ").Length;
        return claims == 1 ? "dispute 1" : DebaterMoves.Dispute(claims - 1);
    }

    [Theory]
    [InlineData("dispute 3", 4, 2, null)]
    [InlineData("  Dispute claim 2 because", 4, 1, null)]
    [InlineData("pass", 4, null, null)]
    [InlineData("dispute 5", 4, null, "outside the grammar: 'dispute N' with N from 1 to 4, or 'pass'")]
    [InlineData("dispute 3x", 4, null, "outside the grammar")]
    [InlineData("47+2=49", 4, null, "outside the grammar")]
    public void A_move_is_dispute_N_or_pass_and_anything_else_forfeits(string reply, int count, int? dispute, string? forfeit)
    {
        DebaterMove move = DebaterMoves.Parse(reply, count);

        Assert.Equal(dispute, move.Dispute);
        if (forfeit is null)
        {
            Assert.Null(move.Forfeit);
        }
        else
        {
            Assert.Contains(forfeit, move.Forfeit, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_arena_plays_batched_moves_into_the_same_games_a_policy_moving_turn_by_turn_plays()
    {
        var policy = new RulePolicy(DisputeLastStep);
        var options = new DebateOptions { Judge = Arena.BiasedJudge(), Debaters = new DebaterOptions { Name = DebateNames.PolicyDebater } };
        var protocol = new DebateProtocol(options, new TestRunContext(5), Arena.GoldFree(Arena.Task(13, 12)), policy: policy);
        var arena = new SelfPlayArena(protocol, new ScriptedDebater(new DebaterOptions(), protocol.Claims), 5, 12);
        var questions = Arena.Questions(13, 12);
        var games = questions.Select((q, i) => new ArenaGame($"g{i}", q.Question, q.Right, false, [0, 1], [true, true])).ToList();

        IReadOnlyList<ArenaResult> batched = await arena.PlayAsync(games, null, policy, 1, "test", TestContext.Current.CancellationToken);

        int batches = policy.Calls;
        for (int g = 0; g < games.Count; g++)
        {
            // The same game, one move per call, through the debate protocol's policy debater.
            Game single = await protocol.PlayAsync(games[g].Question, [0, 1], RandomStreams.Create(5, $"test/g{g}"),
                [new PolicyDebater(options.Debaters, protocol.Claims, policy, 5), new PolicyDebater(options.Debaters, protocol.Claims, policy, 5)], TestContext.Current.CancellationToken);
            Assert.Equal(single.Transcript.Select(t => (t.Speaker, t.Text)), batched[g].Game.Transcript.Select(t => (t.Speaker, t.Text)));
            Assert.Equal(single.Chosen, batched[g].Game.Chosen);
        }
        // Both sides dispute the other's result-carrying step: whoever moves first, the judge's one check decides for the
        // right answer (the honest side finds the liar's false step, or the liar disputes the honest side's true one).
        Assert.All(batched, r => Assert.True(r.Correct && r.Game.DecidedByCheck && r.Game.Checks == 1));
        Assert.Contains(batched, r => r.Game.Transcript[^1].Text.Contains("stated a false claim", StringComparison.Ordinal));
        Assert.Contains(batched, r => r.Game.Transcript[^1].Text.Contains("disputed a true claim", StringComparison.Ordinal));
        Assert.True(batches <= 3, $"the arena generated in {batches} batches, at most one per move of the longest game");
    }

    [Fact]
    public async Task A_policy_debater_that_answers_outside_the_grammar_forfeits_every_turn_and_the_debate_ends_by_the_judges_impression()
    {
        var policy = new RulePolicy(_ => "Surely 49.");
        var options = new DebateOptions { Debaters = new DebaterOptions { Name = DebateNames.PolicyDebater } };
        var protocol = new DebateProtocol(options, new TestRunContext(5), Arena.GoldFree(Arena.Task(13, 4)), policy: policy);

        foreach ((OversightQuestion question, _) in Arena.Questions(13, 4))
        {
            foreach (Game game in (await protocol.JudgeDetailedAsync(question, TestContext.Current.CancellationToken)).Games)
            {
                Assert.Equal(4, game.Transcript.Count(t => t.Text.StartsWith("forfeits the turn (reply 'Surely 49.' is outside the grammar", StringComparison.Ordinal)));
                Assert.False(game.DecidedByCheck);
            }
        }
    }

    [Fact]
    public async Task Debater_moves_leave_every_legal_move_once_for_every_state_whichever_answer_is_right()
    {
        var task = Arena.Task(7, 20, hardFraction: 0.5);
        using var context = new TestStageContext(7, task, null!);

        await new DebaterMovesStage(new DebaterMovesOptions { Split = TaskSplits.Test, Items = 20 }).RunAsync(context, TestContext.Current.CancellationToken);

        var examples = context.Artifacts.Get<IReadOnlyList<Response>>(SelfPlayArtifacts.MovesKey);
        var byState = examples.GroupBy(e => e.Prompt.Text).ToList();
        Assert.True(byState.Count >= 40, $"{byState.Count} states");
        foreach (var state in byState)
        {
            int claims = state.Key.Split(", ").Length;
            Assert.Equal(DebaterMoves.Legal(claims), state.Select(e => e.Text));
        }
        // States with steps, with the final claim alone, and with the parts of a split claim all occur.
        Assert.Contains(byState, s => s.Count() == 5);
        Assert.Contains(byState, s => s.Count() == 2);
        Assert.Contains(byState, s => s.Count() == 4);
    }

    [Fact]
    public void The_sample_of_dialogues_is_half_right_and_half_wrong_verdicts_where_both_occur()
    {
        bool[] correct = [true, true, false, true, true, false, true];

        Assert.Equal([0, 1, 2, 5], DebateDialogues.Sample([.. Enumerable.Range(0, 7)], i => correct[i], 4));
        // One wrong verdict only: it and three right ones; none: the first three right ones.
        Assert.Equal([0, 1, 2, 3], DebateDialogues.Sample([.. Enumerable.Range(0, 7)], i => i != 2, 4));
        Assert.Equal([0, 1, 2], DebateDialogues.Sample([.. Enumerable.Range(0, 7)], i => true, 3));
        Assert.Empty(DebateDialogues.Sample([.. Enumerable.Range(0, 7)], i => correct[i], 0));
    }

    [Fact]
    public void Train_debaters_refuses_a_chat_judge_and_a_chat_opponent_with_the_fix()
    {
        var options = new TrainDebatersOptions();
        options.Debate.Judge.Name = DebateNames.ChatJudge;
        options.Debate.Debaters.Name = DebateNames.ChatDebater;
        var errors = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), errors);

        Assert.Contains(errors, e => e.ErrorMessage!.Contains("set debate.judge.name to simulated-judge", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.ErrorMessage!.Contains("is scripted (a fixed opponent) or policy without an artifact (self-play), not 'chat'", StringComparison.Ordinal));
    }

    [Fact]
    public void The_self_play_example_is_a_valid_pipeline_manifest()
    {
        var errors = ManifestLoader.Validate(Path.Combine(AppContext.BaseDirectory, "examples", "debate-selfplay.json"), Catalog.Value);

        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors.Select(error => error.ToString())));
    }

    /// <summary>The test's training run: a tiny gpt learns the grammar, then trains on the honest side against a scripted liar.</summary>
    internal static JsonObject SmallRun(long seed) => JsonNode.Parse($$"""
        {
          "name": "debate-selfplay-small", "seed": {{seed}},
          "task": { "name": "arithmetic", "options": { "operators": "+-", "hardDigits": 2, "hardOperations": 3, "hardFraction": 0.5, "trainPrompts": 100, "validationPrompts": 40, "testPrompts": 10 } },
          "policy": { "name": "gpt", "options": { "layers": 1, "dModel": 32, "heads": 2, "valueHead": true } },
          "stages": [
            { "stage": "debater-moves", "items": 60 },
            { "stage": "sft", "epochs": 4, "batchSize": 32, "learningRate": 0.005 },
            { "stage": "train-debaters", "items": 100, "evaluationItems": 40, "evaluateEvery": 10, "sides": "honest", "dialogues": 2,
              "optimizer": { "name": "ppo", "options": { "steps": 40, "batchSize": 32, "learningRate": 0.0002, "klCoefficient": 0.02, "adaptiveKl": false, "maxNewTokens": 12 } },
              "debate": { "judge": { "verificationLimit": 3, "checksPerDebate": 2 },
                          "debaters": { "dishonest": { "findRate": 0, "mistakeRate": 0 } } } }
          ]
        }
        """)!.AsObject();

    [Fact]
    public async Task A_policy_debater_trained_against_a_fixed_scripted_liar_raises_its_win_rate_clearly()
    {
        using var run = new ExampleRun();

        await run.RunAsync(SmallRun(1), Catalog.Value, TestContext.Current.CancellationToken);

        IReadOnlyList<double> winRate = run.Metric(SelfPlayMetrics.WinRate);
        // Evaluations before step 1, after steps 10, 20, 30 and 40 (the last); measured 0.588 -> 0.963 (seeds 2 and 3: 0.700 -> 0.900, 0.625 -> 0.888).
        Assert.Equal(5, winRate.Count);
        Assert.True(winRate[^1] - winRate[0] >= 0.25, $"win rate {string.Join(" -> ", winRate)}");
        Assert.Equal(40, run.Metric(SelfPlayMetrics.TrainWinRate).Count);
        Assert.Equal(5, run.Metric(SelfPlayMetrics.EloPolicy).Count);
        Assert.True(run.Metric(SelfPlayMetrics.EloPolicy)[^1] > 1000);
        // Against a liar that never disputes, the judge is right exactly when the policy wins.
        Assert.Equal(winRate, run.Metric(SelfPlayMetrics.JudgeAccuracy));
        Assert.Equal(5, run.Metric(SelfPlayMetrics.JudgeAccuracySelfPlay).Count);
        Assert.Single(run.Store.GetArtifacts(run.Outcome.RunId), a => a.Kind == TrainDebatersStage.TranscriptsKind);
        Assert.Single(run.Store.GetArtifacts(run.Outcome.RunId), a => a.Kind == ReportArtifactKinds.Contribution);
    }
}
