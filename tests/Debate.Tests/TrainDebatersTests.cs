using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using AlignFx.Abstractions.Optimization;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Debate.Tests;

/// <summary>
/// <c>train-debaters</c>' reward and evaluations, with an optimiser that only scores fixed moves (no training): the
/// forfeit penalty falls on moves outside the grammar, and in self-play the policy is also measured against a scripted
/// reference before and after, without changing its self-play games.
/// </summary>
public sealed class TrainDebatersTests
{
    private static readonly Lazy<IComponentCatalog> Catalog = new(() => new TestCatalog(BuiltPlugins.Load("Tasks", "LanguageModels", "Debate"),
        new ComponentDescriptor(ComponentKinds.Optimizer, "scoring", typeof(ScoringOptimizer), typeof(ScoringOptions), "scores fixed moves") { Plugin = "Debate.Tests" }));

    /// <summary>Options of <see cref="ScoringOptimizer"/>.</summary>
    public sealed class ScoringOptions
    {
        /// <summary>Steps (each one call of the reward).</summary>
        public int Steps { get; set; } = 2;

        /// <summary>Rollouts per step: alternately a pass and a reply outside the grammar.</summary>
        public int Rollouts { get; set; } = 16;
    }

    /// <summary>An optimiser that asks the reward to score passes and replies outside the grammar, and keeps the scores.</summary>
    public sealed class ScoringOptimizer(ScoringOptions options) : IPolicyOptimizer
    {
        public const string OutsideTheGrammar = "I object!";

        public static ConcurrentDictionary<string, List<(string Move, double Score)>> Scores { get; } = new();

        public async Task<OptimizationResult> OptimizeAsync(OptimizationRequest request, IRunContext context, CancellationToken ct)
        {
            var scored = new List<(string, double)>();
            for (int step = 0; step < options.Steps; step++)
            {
                Response[] moves = [.. request.Prompts.Skip(step * options.Rollouts).Take(options.Rollouts)
                    .Select((p, i) => new Response(p, i % 2 == 0 ? DebaterMoves.Pass : OutsideTheGrammar))];
                IReadOnlyList<double> scores = await request.Reward.ScoreAsync(moves, ct);
                scored.AddRange(moves.Select((m, i) => (m.Text, scores[i])));
            }
            Scores[context.RunId] = scored;
            return new OptimizationResult(request.Policy, new Dictionary<string, double>());
        }
    }

    private static JsonObject SelfPlay(double forfeitPenalty, bool reference) => JsonNode.Parse($$"""
        {
          "name": "train-debaters-scoring", "seed": 4,
          "task": { "name": "arithmetic", "options": { "operators": "+-", "hardDigits": 2, "hardOperations": 3, "hardFraction": 0.5, "trainPrompts": 20, "validationPrompts": 10, "testPrompts": 10 } },
          "policy": { "name": "gpt", "options": { "layers": 1, "dModel": 16, "heads": 2 } },
          "stages": [
            { "stage": "train-debaters", "items": 20, "evaluationItems": 8, "evaluateEvery": 1, "dialogues": 0, "maxNewTokens": 6,
              "forfeitPenalty": {{forfeitPenalty}}, {{(reference ? "" : "\"reference\": null,")}}
              "optimizer": "scoring",
              "debate": { "judge": { "checksPerDebate": 2 }, "debaters": { "name": "policy", "falseStep": "random" } } }
          ]
        }
        """)!.AsObject();

    [Fact]
    public async Task A_forfeit_penalty_falls_on_moves_outside_the_grammar_and_self_play_is_also_measured_against_a_scripted_reference()
    {
        using var penalised = new ExampleRun();
        using var plain = new ExampleRun();

        await penalised.RunAsync(SelfPlay(0.5, reference: true), Catalog.Value, TestContext.Current.CancellationToken);
        await plain.RunAsync(SelfPlay(0, reference: false), Catalog.Value, TestContext.Current.CancellationToken);

        // A win is +1 and a loss -1; a move outside the grammar costs 0.5 more, a pass nothing.
        List<(string Move, double Score)> scores = ScoringOptimizer.Scores[penalised.Outcome.RunId];
        Assert.Equal(32, scores.Count);
        Assert.All(scores.Where(s => s.Move == DebaterMoves.Pass), s => Assert.Contains(s.Score, new[] { 1.0, -1.0 }));
        Assert.All(scores.Where(s => s.Move == ScoringOptimizer.OutsideTheGrammar), s => Assert.Contains(s.Score, new[] { 0.5, -1.5 }));
        // Without the penalty the same games pay +1 or -1 only.
        List<(string Move, double Score)> unpenalised = ScoringOptimizer.Scores[plain.Outcome.RunId];
        Assert.Equal(scores.Select(s => s.Score + (s.Move == DebaterMoves.Pass ? 0 : 0.5)), unpenalised.Select(s => s.Score));
        Assert.Equal(plain.Metric(SelfPlayMetrics.TrainWinRate), penalised.Metric(SelfPlayMetrics.TrainWinRate));

        // The reference games are measured before the first step and after the last (step 2), and only when asked for.
        foreach (string name in (string[])[SelfPlayMetrics.ReferenceWinRate, SelfPlayMetrics.ReferenceWinRateHonest, SelfPlayMetrics.ReferenceWinRateDishonest, SelfPlayMetrics.ReferenceJudgeAccuracy])
        {
            Assert.Equal([0L, 2L], penalised.Store.GetMetricSeries(penalised.Outcome.RunId, name).Select(p => p.Step));
            Assert.All(penalised.Metric(name), v => Assert.InRange(v, 0, 1));
            Assert.Empty(plain.Metric(name));
        }
        // They leave the self-play evaluation as it is without them.
        foreach (string name in (string[])[SelfPlayMetrics.JudgeAccuracySelfPlay, SelfPlayMetrics.WinRateHonest, SelfPlayMetrics.DisputeRate, SelfPlayMetrics.ForfeitRate, SelfPlayMetrics.EloHonest])
        {
            Assert.Equal(3, penalised.Metric(name).Count);
            Assert.Equal(plain.Metric(name), penalised.Metric(name));
        }
        var results = penalised.Outcome.Artifacts.Get<EvaluationResults>(SelfPlayArtifacts.ResultsKey).Metrics;
        Assert.Contains(SelfPlayMetrics.ReferenceJudgeAccuracy + SelfPlayMetrics.StartSuffix, results.Keys);
    }

    [Fact]
    public void The_reference_is_a_scripted_debater_and_the_forfeit_penalty_is_bounded()
    {
        static List<ValidationResult> Errors(TrainDebatersOptions options)
        {
            var errors = new List<ValidationResult>();
            Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true);
            return errors;
        }

        Assert.Contains(Errors(new TrainDebatersOptions { Reference = new DebaterOptions { Name = DebateNames.PolicyDebater } }),
            e => e.ErrorMessage!.Contains("set reference.name to scripted, or reference to null", StringComparison.Ordinal));
        Assert.Contains(Errors(new TrainDebatersOptions { ForfeitPenalty = 11 }), e => e.MemberNames.Contains(nameof(TrainDebatersOptions.ForfeitPenalty)));
        Assert.Empty(Errors(new TrainDebatersOptions { Reference = null, ForfeitPenalty = 1 }));
    }
}
