using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Optimization;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.Logging;

namespace AlignFx.Debate;

/// <summary>Which sides the trained policy plays.</summary>
public enum DebaterSides
{
    /// <summary>Both: the right answer's side and the wrong answer's side, each in both answer orders.</summary>
    Both,

    /// <summary>Only the side of the right answer.</summary>
    Honest,

    /// <summary>Only the side of the wrong answer.</summary>
    Dishonest,
}

/// <summary>Options of <c>train-debaters</c>.</summary>
public sealed class TrainDebatersOptions : IValidatableObject
{
    /// <summary>The optimiser (<c>ppo</c>; it needs the gpt policy's value head). The reward it maximises is the judge's verdict.</summary>
    [ComponentKind(ComponentKinds.Optimizer)]
    public ComponentRef Optimizer { get; set; } = new() { Name = "ppo" };

    /// <summary>
    /// The debate's rules and judge (as the <c>debate</c> protocol's options; a simulated judge). Its <c>debaters</c> are
    /// the opponent: <c>scripted</c> (a fixed opponent of the skills given) or <c>policy</c> (self-play: the trained
    /// policy on both sides).
    /// </summary>
    [Required]
    public DebateOptions Debate { get; set; } = new();

    /// <summary>The sides the policy trains on (and is measured on against the opponent).</summary>
    public DebaterSides Sides { get; set; } = DebaterSides.Both;

    /// <summary>The task split whose prompts make the training questions.</summary>
    [Required, MinLength(1)]
    public string Split { get; set; } = TaskSplits.Train;

    /// <summary>Training questions (the split's prompts in a seeded order, repeated when the split is shorter).</summary>
    [Range(1, 1_000_000)]
    public int Items { get; set; } = 200;

    /// <summary>The task split whose prompts make the evaluation questions.</summary>
    [Required, MinLength(1)]
    public string EvaluationSplit { get; set; } = TaskSplits.Validation;

    /// <summary>Evaluation questions, each played in both orders on every trained side against the opponent and once per order against itself.</summary>
    [Range(1, 1_000_000)]
    public int EvaluationItems { get; set; } = 100;

    /// <summary>Optimiser steps between evaluations (and one before the first step and one after the last).</summary>
    [Range(1, 1_000_000)]
    public int EvaluateEvery { get; set; } = 10;

    /// <summary>Sampling temperature of the policy's moves in evaluation games (one fixed seed at every evaluation; 0: greedy).</summary>
    [Range(0.0, 10.0)]
    public double EvaluationTemperature { get; set; } = 1;

    /// <summary>The most tokens of a move the arena generates (the optimiser's own rollouts follow its <c>maxNewTokens</c>).</summary>
    [Range(1, 256)]
    public int MaxNewTokens { get; set; } = 12;

    /// <summary>Evaluation debates, before and after training, shown in the report as dialogues (each half right verdicts, half wrong where there are).</summary>
    [Range(0, 1000)]
    public int Dialogues { get; set; } = 4;

    /// <summary>
    /// Subtracted from a rollout's reward (+1 win, −1 loss) when its move is outside the grammar (a forfeit); 0: a
    /// forfeit costs what its effect on the debate costs (the default, as before this option).
    /// </summary>
    [Range(0.0, 10.0)]
    public double ForfeitPenalty { get; set; }

    /// <summary>
    /// In self-play (<c>debate.debaters.name: policy</c>): a scripted opponent the policy is also measured against
    /// before and after training (on each side, in both orders; <c>selfplay/reference_*</c>), so that what self-play
    /// did shows against a fixed yardstick; null: no such games. Its <c>falseStep</c> and skills apply; the
    /// default is a fully skilled scripted debater. Not used against a fixed opponent (the opponent is the yardstick).
    /// </summary>
    public DebaterOptions? Reference { get; set; } = new();

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Debate.Judge.Name != DebateNames.SimulatedJudge)
        {
            yield return new ValidationResult($"train-debaters plays its games before the {DebateNames.SimulatedJudge} only: set debate.judge.name to {DebateNames.SimulatedJudge}",
                [nameof(Debate)]);
        }
        if (Debate.Debaters.Name is not (DebateNames.ScriptedDebater or DebateNames.PolicyDebater) || Debate.Debaters.Artifact is not null)
        {
            yield return new ValidationResult($"the opponent (debate.debaters) is {DebateNames.ScriptedDebater} (a fixed opponent) or {DebateNames.PolicyDebater} without an artifact (self-play), not '{Debate.Debaters.Name}'",
                [nameof(Debate)]);
        }
        if (Reference is { Name: not DebateNames.ScriptedDebater })
        {
            yield return new ValidationResult($"the reference opponent is a {DebateNames.ScriptedDebater} debater, not '{Reference.Name}': set reference.name to {DebateNames.ScriptedDebater}, or reference to null",
                [nameof(Reference)]);
        }
    }
}

/// <summary>
/// <c>train-debaters</c>: trains the pipeline's policy as a debater by self-play with an optimiser (PPO through
/// <see cref="IPolicyOptimizer"/>) against the judge's verdict. Each training prompt is the state of a debater's first
/// move in a debate on a training question (its answer and the opponent's chain, <see cref="DebaterMoves.State"/>), for
/// each trained side and answer order; the optimiser samples the move and the reward plays the debate out (the policy's
/// later moves sampled from the current policy, the opponent's scripted or, in self-play, the policy's) and pays +1 to
/// the winner's side and −1 to the loser's (zero-sum). The optimiser's KL penalty is to the policy as the stage found it
/// (a snapshot, also left under <see cref="SelfPlayArtifacts.StartPolicyKey"/>). Logs <see cref="SelfPlayMetrics"/>:
/// training win rate and judge accuracy every step; on evaluation questions win rates by side, judge accuracy against
/// the opponent and in self-play, Elo and the policy's move statistics before training, every <c>evaluateEvery</c>
/// steps and after. Writes the evaluation debates before and after as transcripts and contributes a sample of them to
/// the report as dialogues.
/// </summary>
/// <param name="options">The stage's options.</param>
public sealed class TrainDebatersStage(TrainDebatersOptions options) : IStage
{
    /// <summary>The artifact kind of the transcripts file.</summary>
    public const string TranscriptsKind = OverseeStage.TranscriptsKind;

    /// <inheritdoc />
    public async Task RunAsync(IStageContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Policy is not ITrainablePolicy policy)
        {
            throw new InvalidOperationException($"train-debaters trains a trainable policy (the gpt policy with \"valueHead\": true), not {context.Policy.GetType().Name}.");
        }
        IGoldEvaluator gold = context.Task.Gold ?? throw new InvalidOperationException("train-debaters needs a task with a gold evaluator, to pose questions of a right and a wrong answer.");
        IClaimChecker claims = context.Task.Claims
            ?? throw new InvalidOperationException("train-debaters needs a task with checkable claims (ITask.Claims), such as 'arithmetic'.");
        var protocol = new DebateProtocol(options.Debate, context, context.Task, context.Components, null, context.Artifacts, policy);
        if (protocol.HasChatJudge)
        {
            throw new InvalidOperationException($"train-debaters needs the {DebateNames.SimulatedJudge}.");
        }
        bool selfPlay = options.Debate.Debaters.Name == DebateNames.PolicyDebater;
        IDebater opponent = new ScriptedDebater(options.Debate.Debaters, protocol.Claims, context.Seed);
        var arena = new SelfPlayArena(protocol, opponent, context.Seed, options.MaxNewTokens);
        SelfPlayArena? referenceArena = selfPlay && options.Reference is { } reference
            ? new SelfPlayArena(protocol, new ScriptedDebater(reference, protocol.Claims, context.Seed), context.Seed, options.MaxNewTokens)
            : null;
        double limit = options.Debate.Judge.VerificationLimit;

        List<ArenaQuestionItem> train = Questions(context, claims, gold, options.Split, options.Items, "train", limit);
        List<ArenaQuestionItem> evaluation = Questions(context, claims, gold, options.EvaluationSplit, options.EvaluationItems, "eval", limit);
        bool[] trainedSides(ArenaQuestionItem q, int[] order) => [.. Enumerable.Range(0, 2).Select(s => Trains(order[s] == q.Right))];

        // Training prompts: each trained side's first move, in each answer order.
        var starts = new Dictionary<string, TrainingStart>(StringComparer.Ordinal);
        var prompts = new List<Prompt>();
        foreach (ArenaQuestionItem q in train)
        {
            foreach (int[] order in Orders)
            {
                bool[] trains = trainedSides(q, order);
                var game = new ArenaGame($"{q.Question.Id}/{order[0]}{order[1]}", q.Question, q.Right, q.Checkable, order,
                    selfPlay ? [true, true] : trains);
                for (int s = 0; s < 2; s++)
                {
                    if (!trains[s])
                    {
                        continue;
                    }
                    Stance own = arena.Open(game, s), theirs = arena.Open(game, 1 - s);
                    if (own.Final is null || theirs.Final is null)
                    {
                        continue;
                    }
                    var prompt = new Prompt(string.Create(CultureInfo.InvariantCulture, $"{game.Id}/side{s}"), DebaterMoves.State(own.Answer, theirs.Chain));
                    starts[prompt.Id] = new TrainingStart(game, s, theirs.Chain.Count);
                    prompts.Add(prompt);
                }
            }
        }
        if (prompts.Count == 0)
        {
            throw new InvalidOperationException("train-debaters found no debates to train on (every question's candidates state no answer).");
        }

        // Evaluation games: the policy on each trained side against the opponent (in self-play, against the reference), and against itself.
        var versus = new List<ArenaGame>();
        var mirror = new List<ArenaGame>();
        var referenceGames = new List<ArenaGame>();
        foreach (ArenaQuestionItem q in evaluation)
        {
            foreach (int[] order in Orders)
            {
                string id = $"{q.Question.Id}/{order[0]}{order[1]}";
                mirror.Add(new ArenaGame(id + "/self", q.Question, q.Right, q.Checkable, order, [true, true]));
                if (selfPlay && referenceArena is null)
                {
                    continue;
                }
                bool[] trains = trainedSides(q, order);
                for (int s = 0; s < 2; s++)
                {
                    if (trains[s])
                    {
                        bool[] sides = [s == 0, s == 1];
                        (selfPlay ? referenceGames : versus).Add(new ArenaGame($"{id}/side{s}", q.Question, q.Right, q.Checkable, order, sides));
                    }
                }
            }
        }

        IPolicy start = policy.Snapshot();
        context.Artifacts.Set(start, SelfPlayArtifacts.StartPolicyKey);
        var evaluator = new Evaluator(arena, versus, mirror, options, selfPlay, context);
        Evaluation? referenceBefore = referenceArena is null ? null
            : await EvaluateAgainstReferenceAsync(referenceArena, referenceGames, policy, 0, context, ct).ConfigureAwait(false);
        var reward = new VerdictReward(arena, policy, starts, evaluator, options, context);
        IPolicyOptimizer optimizer = context.Components.Create<IPolicyOptimizer>(options.Optimizer);
        var request = new OptimizationRequest(policy, reward, prompts) { Reference = start };
        OptimizationResult result = await optimizer.OptimizeAsync(request, context, ct).ConfigureAwait(false);
        context.Policy = result.Policy;
        Evaluation last = await evaluator.RunAsync(result.Policy, reward.Steps, ct).ConfigureAwait(false);
        Evaluation first = evaluator.First ?? last;
        Evaluation? referenceAfter = referenceArena is null ? null
            : await EvaluateAgainstReferenceAsync(referenceArena, referenceGames, result.Policy, reward.Steps, context, ct).ConfigureAwait(false);
        if (referenceBefore is not null && referenceAfter is not null)
        {
            first = first with { Metrics = new Dictionary<string, double>(first.Metrics.Concat(referenceBefore.Metrics), StringComparer.Ordinal) };
            last = last with { Metrics = new Dictionary<string, double>(last.Metrics.Concat(referenceAfter.Metrics), StringComparer.Ordinal) };
        }

        var results = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach ((string name, double value) in last.Metrics)
        {
            results[name] = value;
        }
        foreach ((string name, double value) in first.Metrics)
        {
            results[name + SelfPlayMetrics.StartSuffix] = value;
        }
        context.Artifacts.Set(new EvaluationResults(SelfPlayArtifacts.ResultsKey, results), SelfPlayArtifacts.ResultsKey);
        await WriteTranscriptsAsync(context, first, last, ct).ConfigureAwait(false);
        context.Files.Contribute(string.Create(CultureInfo.InvariantCulture, $"sp{(ulong)context.Seed % 0xFFFFFF:x6}-{SelfPlayArtifacts.DialoguesContribution}"), DebateDialogues.Contribution(
            "Self-play: sample debates", SelfPlayTable(first, last, selfPlay),
            [("before training", first.Results), ("after training", last.Results)], options.Dialogues));
        context.Logger.LogInformation(
            "train-debaters: win rate {Before:F3} -> {After:F3}, judge accuracy against the opponent {AccBefore:F3} -> {AccAfter:F3}, in self-play {SelfBefore:F3} -> {SelfAfter:F3}",
            first.Metrics.GetValueOrDefault(SelfPlayMetrics.WinRate, double.NaN), last.Metrics.GetValueOrDefault(SelfPlayMetrics.WinRate, double.NaN),
            first.Metrics.GetValueOrDefault(SelfPlayMetrics.JudgeAccuracy, double.NaN), last.Metrics.GetValueOrDefault(SelfPlayMetrics.JudgeAccuracy, double.NaN),
            first.Metrics[SelfPlayMetrics.JudgeAccuracySelfPlay], last.Metrics[SelfPlayMetrics.JudgeAccuracySelfPlay]);
        if (referenceBefore is not null && referenceAfter is not null)
        {
            context.Logger.LogInformation(
                "train-debaters: against the scripted reference, win rate {Before:F3} -> {After:F3} (honest side {HonestBefore:F3} -> {HonestAfter:F3}, dishonest {DishonestBefore:F3} -> {DishonestAfter:F3}), judge accuracy {AccBefore:F3} -> {AccAfter:F3}",
                referenceBefore.Metrics[SelfPlayMetrics.ReferenceWinRate], referenceAfter.Metrics[SelfPlayMetrics.ReferenceWinRate],
                referenceBefore.Metrics[SelfPlayMetrics.ReferenceWinRateHonest], referenceAfter.Metrics[SelfPlayMetrics.ReferenceWinRateHonest],
                referenceBefore.Metrics[SelfPlayMetrics.ReferenceWinRateDishonest], referenceAfter.Metrics[SelfPlayMetrics.ReferenceWinRateDishonest],
                referenceBefore.Metrics[SelfPlayMetrics.ReferenceJudgeAccuracy], referenceAfter.Metrics[SelfPlayMetrics.ReferenceJudgeAccuracy]);
        }
    }

    /// <summary>
    /// The self-play policy's games against the scripted reference (its own arena and random stream, so the other
    /// evaluation games are those they would be without it), logged at <paramref name="step"/>.
    /// </summary>
    private static async Task<Evaluation> EvaluateAgainstReferenceAsync(SelfPlayArena arena, List<ArenaGame> games, IPolicy policy, long step, IStageContext context,
        CancellationToken ct)
    {
        IReadOnlyList<ArenaResult> results = await arena.PlayAsync(games, null, policy, 1, "train-debaters/reference", ct).ConfigureAwait(false);
        var sides = results.Select(r => (Result: r, Side: r.Spec.PolicySides[0] ? 0 : 1)).ToList();
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [SelfPlayMetrics.ReferenceWinRate] = Mean(sides, x => x.Result.Won(x.Side) ? 1 : 0),
            [SelfPlayMetrics.ReferenceWinRateHonest] = Mean(sides.Where(x => x.Side == x.Result.Spec.HonestSide), x => x.Result.Won(x.Side) ? 1 : 0),
            [SelfPlayMetrics.ReferenceWinRateDishonest] = Mean(sides.Where(x => x.Side != x.Result.Spec.HonestSide), x => x.Result.Won(x.Side) ? 1 : 0),
            [SelfPlayMetrics.ReferenceJudgeAccuracy] = Mean(results, r => r.Correct ? 1 : 0),
        };
        foreach ((string name, double value) in metrics)
        {
            context.Metrics.Log(name, value, step);
        }
        return new Evaluation(results, metrics);
    }

    private static readonly int[][] Orders = [[0, 1], [1, 0]];

    private bool Trains(bool honest) => options.Sides switch
    {
        DebaterSides.Honest => honest,
        DebaterSides.Dishonest => !honest,
        _ => true,
    };

    private static List<ArenaQuestionItem> Questions(IStageContext context, IClaimChecker claims, IGoldEvaluator gold, string split, int count, string name, double limit)
    {
        IReadOnlyList<Prompt> prompts = context.Task.GetPrompts(split);
        if (prompts.Count == 0)
        {
            throw new InvalidOperationException($"The task's split '{split}' has no prompts.");
        }
        Random random = context.CreateRandom($"train-debaters/{name}");
        int[] order = [.. Enumerable.Range(0, prompts.Count)];
        random.Shuffle(order);
        var items = new List<ArenaQuestionItem>(count);
        for (int i = 0; i < count; i++)
        {
            (OversightQuestion question, int right) = BareQuestions.Make(claims, gold, prompts[order[i % order.Length]], random,
                string.Create(CultureInfo.InvariantCulture, $"{name}-{i}"));
            items.Add(new ArenaQuestionItem(question, right, BareQuestions.Checkable(claims, question.Candidates[right], limit)));
        }
        return items;
    }

    private static ReportTableData SelfPlayTable(Evaluation first, Evaluation last, bool selfPlay)
    {
        string[] names = selfPlay
            ? [SelfPlayMetrics.JudgeAccuracySelfPlay, SelfPlayMetrics.JudgeAccuracySelfPlayUncheckable, SelfPlayMetrics.WinRateHonest, SelfPlayMetrics.DisputeRate, SelfPlayMetrics.ForfeitRate, SelfPlayMetrics.EloHonest,
                .. new[] { SelfPlayMetrics.ReferenceWinRateHonest, SelfPlayMetrics.ReferenceWinRateDishonest, SelfPlayMetrics.ReferenceJudgeAccuracy }.Where(first.Metrics.ContainsKey)]
            : [SelfPlayMetrics.WinRate, SelfPlayMetrics.WinRateHonest, SelfPlayMetrics.WinRateDishonest, SelfPlayMetrics.JudgeAccuracy,
                SelfPlayMetrics.JudgeAccuracySelfPlay, SelfPlayMetrics.JudgeAccuracySelfPlayUncheckable, SelfPlayMetrics.DisputeRate, SelfPlayMetrics.ForfeitRate, SelfPlayMetrics.EloPolicy];
        return new ReportTableData("Evaluation games before and after training", ["metric", "before", "after"],
            [.. names.Select(n => (IReadOnlyList<string>)[n, Format(first.Metrics.GetValueOrDefault(n, double.NaN)), Format(last.Metrics.GetValueOrDefault(n, double.NaN))])]);
    }

    private static string Format(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.###", CultureInfo.InvariantCulture);

    private static async Task WriteTranscriptsAsync(IStageContext context, Evaluation first, Evaluation last, CancellationToken ct)
    {
        string path = string.Create(CultureInfo.InvariantCulture, $"selfplay/sp{(ulong)context.Seed % 0xFFFFFF:x6}-transcripts.jsonl");
        await using (var writer = new StreamWriter(context.Files.GetPath(path)))
        {
            foreach ((string when, Evaluation evaluation) in new[] { ("before", first), ("after", last) })
            {
                foreach (ArenaResult r in evaluation.Results)
                {
                    ct.ThrowIfCancellationRequested();
                    string line = JsonSerializer.Serialize(new
                    {
                        when,
                        id = r.Spec.Id,
                        prompt = r.Spec.Question.Candidates[0].Prompt.Text,
                        candidates = r.Spec.Order.Select(i => r.Spec.Question.Candidates[i].Text),
                        policySides = r.Spec.PolicySides,
                        right = r.Spec.HonestSide,
                        chosen = r.Spec.Order[0] == r.Game.Chosen ? 0 : 1,
                        correct = r.Correct,
                        checkable = r.Spec.Checkable,
                        moves = r.Moves.Select(side => side.Select(m => m.Text)),
                        transcript = r.Game.Transcript.Select(t => new { speaker = t.Speaker, text = t.Text }),
                    });
                    await writer.WriteLineAsync(line).ConfigureAwait(false);
                    context.TranscriptLog?.Record(DebateNames.Debate, line);
                }
            }
        }
        context.Files.Register(path, TranscriptsKind, "train-debaters: evaluation debates before and after training, one game per line");
    }

    private sealed record TrainingStart(ArenaGame Game, int Side, int Count);

    /// <summary>A question with its right candidate and whether the judge can check it alone.</summary>
    private sealed record ArenaQuestionItem(OversightQuestion Question, int Right, bool Checkable);

    /// <summary>An evaluation's games and metrics.</summary>
    internal sealed record Evaluation(IReadOnlyList<ArenaResult> Results, IReadOnlyDictionary<string, double> Metrics);

    /// <summary>Plays the evaluation games and logs their metrics; keeps the Elo tournaments across evaluations.</summary>
    private sealed class Evaluator(SelfPlayArena arena, List<ArenaGame> versus, List<ArenaGame> mirror, TrainDebatersOptions options, bool selfPlay, IStageContext context)
    {
        private readonly EloPair _policyVersusOpponent = new();
        private readonly EloPair _honestVersusDishonest = new();

        public Evaluation? First { get; private set; }

        public async Task<Evaluation> RunAsync(IPolicy policy, long step, CancellationToken ct)
        {
            IReadOnlyList<ArenaResult> results = await arena.PlayAsync([.. versus, .. mirror], null, policy, options.EvaluationTemperature,
                "train-debaters/evaluation", ct).ConfigureAwait(false);
            List<ArenaResult> against = [.. results.Take(versus.Count)];
            List<ArenaResult> self = [.. results.Skip(versus.Count)];
            var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
            // Each (game, side the policy plays) against the opponent; in self-play mode, the mirror games stand in.
            var sides = (selfPlay ? self : against).SelectMany(r => Enumerable.Range(0, 2).Where(s => r.Spec.PolicySides[s] && (!selfPlay || Trains(r, s))).Select(s => (Result: r, Side: s))).ToList();
            metrics[SelfPlayMetrics.WinRate] = Mean(sides, x => x.Result.Won(x.Side) ? 1 : 0);
            metrics[SelfPlayMetrics.WinRateHonest] = Mean(sides.Where(x => x.Side == x.Result.Spec.HonestSide), x => x.Result.Won(x.Side) ? 1 : 0);
            metrics[SelfPlayMetrics.WinRateDishonest] = Mean(sides.Where(x => x.Side != x.Result.Spec.HonestSide), x => x.Result.Won(x.Side) ? 1 : 0);
            metrics[SelfPlayMetrics.JudgeAccuracySelfPlay] = Mean(self, r => r.Correct ? 1 : 0);
            metrics[SelfPlayMetrics.JudgeAccuracySelfPlayUncheckable] = Mean(self.Where(r => !r.Spec.Checkable), r => r.Correct ? 1 : 0);
            foreach (ArenaResult r in self)
            {
                _honestVersusDishonest.Record(r.Correct);
            }
            metrics[SelfPlayMetrics.EloHonest] = _honestVersusDishonest.First;
            metrics[SelfPlayMetrics.EloDishonest] = _honestVersusDishonest.Second;
            if (!selfPlay)
            {
                metrics[SelfPlayMetrics.JudgeAccuracy] = Mean(against, r => r.Correct ? 1 : 0);
                foreach (ArenaResult r in against)
                {
                    _policyVersusOpponent.Record(r.Won(r.Spec.PolicySides[0] ? 0 : 1));
                }
                metrics[SelfPlayMetrics.EloPolicy] = _policyVersusOpponent.First;
                metrics[SelfPlayMetrics.EloOpponent] = _policyVersusOpponent.Second;
            }
            var moves = results.SelectMany(r => r.Moves.SelectMany(m => m)).ToList();
            metrics[SelfPlayMetrics.DisputeRate] = Mean(moves, m => m.Move.Dispute is not null ? 1 : 0);
            metrics[SelfPlayMetrics.ForfeitRate] = Mean(moves, m => m.Move.Forfeit is not null ? 1 : 0);
            foreach ((string name, double value) in metrics)
            {
                context.Metrics.Log(name, value, step);
            }
            var evaluation = new Evaluation(results, metrics);
            First ??= evaluation;
            return evaluation;
        }

        private bool Trains(ArenaResult r, int side) => options.Sides switch
        {
            DebaterSides.Honest => side == r.Spec.HonestSide,
            DebaterSides.Dishonest => side != r.Spec.HonestSide,
            _ => true,
        };
    }

    /// <summary>
    /// The reward the optimiser maximises: each rollout is a debater's first move; the debate is played out (the
    /// policy's later moves sampled from the current policy) and the rollout's side gets +1 for a win, −1 for a loss.
    /// Before scoring step 1 and every <c>evaluateEvery</c> steps it has the evaluator measure the policy as it is.
    /// </summary>
    private sealed class VerdictReward(SelfPlayArena arena, ITrainablePolicy policy, Dictionary<string, TrainingStart> starts, Evaluator evaluator,
        TrainDebatersOptions options, IStageContext context) : IRewardModel
    {
        /// <summary>Steps scored so far (the optimiser scores once per step).</summary>
        public int Steps { get; private set; }

        public async Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct)
        {
            if (Steps % options.EvaluateEvery == 0)
            {
                await evaluator.RunAsync(policy, Steps, ct).ConfigureAwait(false);
            }
            int step = ++Steps;
            var games = new List<ArenaGame>(responses.Count);
            var preset = new List<ArenaMove?[]>(responses.Count);
            var sides = new int[responses.Count];
            for (int i = 0; i < responses.Count; i++)
            {
                Response r = responses[i];
                if (!starts.TryGetValue(r.Prompt.Id, out TrainingStart? start))
                {
                    throw new InvalidOperationException($"train-debaters' reward scores its own debaters' moves only; '{r.Prompt.Id}' is not one.");
                }
                games.Add(start.Game with { Id = string.Create(CultureInfo.InvariantCulture, $"{start.Game.Id}/{step}/{i}") });
                var first = new ArenaMove?[2];
                first[start.Side] = new ArenaMove(r.Text, DebaterMoves.Parse(r.Text, start.Count), r.Prompt.Text);
                preset.Add(first);
                sides[i] = start.Side;
            }
            IReadOnlyList<ArenaResult> results = await arena.PlayAsync(games, preset, policy, 1,
                string.Create(CultureInfo.InvariantCulture, $"train-debaters/rollouts/{step}"), ct).ConfigureAwait(false);
            bool[] won = [.. results.Select((r, i) => r.Won(sides[i]))];
            // The penalty falls on the rollout's own move (the one the optimiser sampled), never on later moves.
            double[] scores = [.. won.Select((w, i) => (w ? 1.0 : -1.0) - (preset[i][sides[i]]!.Move.Forfeit is not null ? options.ForfeitPenalty : 0))];
            var moves = results.SelectMany(r => r.Moves.SelectMany(m => m)).ToList();
            context.Metrics.Log(SelfPlayMetrics.TrainWinRate, won.Average(w => w ? 1 : 0), step);
            context.Metrics.Log(SelfPlayMetrics.TrainJudgeAccuracy, results.Average(r => r.Correct ? 1 : 0), step);
            context.Metrics.Log(SelfPlayMetrics.TrainForfeitRate, Mean(moves, m => m.Move.Forfeit is not null ? 1 : 0), step);
            return scores;
        }
    }

    private static double Mean<T>(IEnumerable<T> values, Func<T, double> selector)
    {
        double sum = 0;
        int count = 0;
        foreach (T value in values)
        {
            sum += selector(value);
            count++;
        }
        return count == 0 ? double.NaN : sum / count;
    }
}
