using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Evaluation;
using Microsoft.Extensions.Logging;

namespace AlignFx.ConstitutionalCritique;

/// <summary>Options of <c>critique-revise</c>.</summary>
public sealed class CritiqueReviseOptions
{
    /// <summary>The principles; one is sampled (by weight) for each round of each response.</summary>
    [Required]
    public Constitution? Constitution { get; set; }

    /// <summary>The critic (a component of the critic kind; <c>scripted</c> comes with the Critics plugin).</summary>
    [ComponentKind(ComponentKinds.Critic)]
    public ComponentRef Critic { get; set; } = new() { Name = CaiComponents.DefaultCritic };

    /// <summary>The scripted reviser's phrasing (the reviser works through the task's claims).</summary>
    [Required]
    public ScriptedReviserOptions Reviser { get; set; } = new();

    /// <summary>Rounds of (sample a principle, critique, revise) per response, R.</summary>
    [Range(0, 64)]
    public int Rounds { get; set; } = 4;

    /// <summary>How many prompts to answer (taken in a seeded order from the split, cycling when it has fewer).</summary>
    [Range(1, 1_000_000)]
    public int Prompts { get; set; } = 500;

    /// <summary>The task split whose prompts the policy answers.</summary>
    [Required, MinLength(1)]
    public string Split { get; set; } = TaskSplits.Train;

    /// <summary>Sampling temperature of the policy.</summary>
    [Range(0.0, 10.0)]
    public double Temperature { get; set; } = 1.0;

    /// <summary>The most tokens per response.</summary>
    [Range(1, 4096)]
    public int MaxNewTokens { get; set; } = 48;

    /// <summary>Prompts sampled per policy call.</summary>
    [Range(1, 100_000)]
    public int BatchPrompts { get; set; } = 256;

    /// <summary>The artifact key the final revisions are left under (the key the <c>sft</c> stage reads).</summary>
    [Required, MinLength(1)]
    public string Output { get; set; } = ArtifactKeys.SftDataset.Name;
}

/// <summary>One response's way through the rounds (kept inside the stage; it leaves them as contract records).</summary>
/// <param name="Revisions">The response as sampled (index 0) and after each round (index k), every one kept.</param>
/// <param name="Principles">The principle sampled in each round (index k − 1 for round k).</param>
/// <param name="Critiques">The critique of each round.</param>
internal sealed record RevisionChain(IReadOnlyList<Response> Revisions, IReadOnlyList<string> Principles, IReadOnlyList<Critique> Critiques)
{
    /// <summary>The last revision.</summary>
    public Response Final => Revisions[^1];

    /// <summary>
    /// The chain as transcript turns: the sampled response (speaker <c>reviser</c>), then per round the principle, the
    /// critique (<c>critic: flaw|no flaw: text</c>) and the revision.
    /// </summary>
    public IReadOnlyList<TranscriptTurn> Transcript()
    {
        var turns = new List<TranscriptTurn> { new(CaiKeys.ReviserSpeaker, Revisions[0].Text) };
        for (int k = 0; k < Critiques.Count; k++)
        {
            Critique critique = Critiques[k];
            turns.Add(new(CaiKeys.PrincipleSpeaker, Principles[k]));
            turns.Add(new(CaiKeys.CriticSpeaker, $"{critique.Critic}: {(critique.Flawed ? CaiKeys.Flaw : CaiKeys.NoFlaw)}: {critique.Text}"));
            turns.Add(new(CaiKeys.ReviserSpeaker, Revisions[k + 1].Text));
        }
        return turns;
    }

    /// <summary>The chain as a correction record: the sampled response, its final revision, the transcript, the critiques' cost.</summary>
    public CorrectionFeedback ToRecord(string critic) => new(Revisions[0].Id,
        new FeedbackProvenance(CaiComponents.CritiqueRevise, critic, Critiques.Sum(c => c.Cost), TimeSpan.Zero, 1), Revisions[0], Final.Text)
    {
        Transcript = Transcript(),
    };
}

/// <summary>
/// <c>critique-revise</c> (SL-CAI, Bai et al. 2022): samples one response per prompt from the pipeline's policy, then
/// runs up to <see cref="CritiqueReviseOptions.Rounds"/> rounds on each: sample a principle, ask the critic for a
/// critique under it, and have the scripted reviser revise as the critique says (through the task's claims), keeping
/// every revision. Logs, per round k = 0..R at step k, the revisions' gold accuracy, confident-when-wrong, sycophancy,
/// steps rate and mean length (<see cref="CaiMetrics"/>, <c>revision/</c> + the task metric's name), and per round
/// 1..R the critiques' flagged rate, precision and recall against the principle's gold features, and the share
/// revised; plus <see cref="CaiMetrics.RevisionBound"/>. Leaves the final revisions as <c>IReadOnlyList&lt;Response&gt;</c>
/// under <see cref="CritiqueReviseOptions.Output"/> (for <c>sft</c>), every chain as a <see cref="CorrectionFeedback"/> (the
/// sampled response, its final revision, and a transcript with every principle, critique and revision) in an
/// <c>IReadOnlyList&lt;CorrectionFeedback&gt;</c> under <see cref="CaiKeys.RevisionResults"/> and in the run's feedback log,
/// the last round's metrics as <see cref="EvaluationResults"/> (key <see cref="CaiKeys.RevisionResults"/>), and the
/// constitution in the run's files (<see cref="CaiKeys.ConstitutionFile"/>). Draws: principles from
/// <c>critique-revise/principle/&lt;response&gt;/&lt;round&gt;</c>, samples from <c>critique-revise/generate/&lt;batch&gt;</c>.
/// </summary>
/// <param name="options">The stage's options.</param>
public sealed class CritiqueReviseStage(CritiqueReviseOptions options) : IStage
{
    /// <inheritdoc />
    public async Task RunAsync(IStageContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        IGoldEvaluator gold = context.Task.Gold
            ?? throw new InvalidOperationException($"{CaiComponents.CritiqueRevise} needs a task with a gold evaluator, to measure the revisions.");
        IClaimChecker checker = context.Task.Claims
            ?? throw new InvalidOperationException($"{CaiComponents.CritiqueRevise} revises through the task's claims, and this task has none; use a task with checkable claims (arithmetic).");
        IReadOnlyList<Prompt> prompts = context.Task.GetPrompts(options.Split);
        if (prompts.Count == 0)
        {
            throw new InvalidOperationException($"The task's split '{options.Split}' has no prompts.");
        }
        Constitution constitution = options.Constitution
            ?? throw new InvalidOperationException($"{CaiComponents.CritiqueRevise} needs a constitution; give its 'constitution' option principles.");
        ICritic critic = context.Components.Create<ICritic>(options.Critic);
        var reviser = new ScriptedReviser(checker, options.Reviser);
        WriteConstitution(context, constitution);
        context.Artifacts.Set(constitution, CaiKeys.ConstitutionArtifact);
        context.Files.Contribute(CaiKeys.RevisionContribution, ConstitutionReport.Contribution(constitution,
            $"critique-revise critiqued and revised the policy's responses with the critic '{options.Critic.Name}' ({options.Rounds} round(s), one principle per round)"));

        IReadOnlyList<Response> sampled = await Sample(context, prompts, ct).ConfigureAwait(false);
        var chains = new List<RevisionChain>(sampled.Count);
        var byRound = Enumerable.Range(0, options.Rounds).Select(_ => new RoundTally()).ToArray();
        using (IProgressTask progress = context.Progress.Start("critique and revise", sampled.Count))
        {
            foreach (Response first in sampled)
            {
                ct.ThrowIfCancellationRequested();
                var revisions = new List<Response> { first };
                var principles = new List<string>();
                var critiques = new List<Critique>();
                for (int k = 1; k <= options.Rounds; k++)
                {
                    Response current = revisions[^1];
                    Principle principle = constitution.Sample(context.CreateRandom($"critique-revise/principle/{first.Id}/{k}"));
                    Critique critique = await critic.CritiqueAsync(current, principle, ct).ConfigureAwait(false);
                    string text = reviser.Revise(current, principle, critique);
                    Response next = text == current.Text ? current : current with
                    {
                        Text = text,
                        Id = string.Create(CultureInfo.InvariantCulture, $"{first.Id}-rev{k}"),
                        TokenIds = null,
                        TokenLogProbs = null,
                    };
                    byRound[k - 1].Add(PrincipleViolations.Breaks(principle, gold.Evaluate(current)), critique.Flawed, !ReferenceEquals(next, current));
                    principles.Add(principle.Name);
                    critiques.Add(critique);
                    revisions.Add(next);
                }
                chains.Add(new RevisionChain(revisions, principles, critiques));
                progress.Advance();
            }
        }

        IReadOnlyDictionary<string, double> last = LogRounds(context, gold, chains, byRound);
        double bound = sampled.Count(r => gold.Evaluate(r).Get(GoldFeatures.Correct) == 1 || checker.Claims(r).Any(c => c.IsFinal)) / (double)sampled.Count;
        context.Metrics.Log(CaiMetrics.RevisionBound, bound, 0);
        var results = new Dictionary<string, double>(last, StringComparer.Ordinal) { [CaiMetrics.RevisionBound] = bound };
        context.Artifacts.Set(new EvaluationResults(CaiKeys.RevisionResults, results), CaiKeys.RevisionResults);
        context.Artifacts.Set<IReadOnlyList<Response>>([.. chains.Select(c => c.Final)], options.Output);
        List<CorrectionFeedback> records = [.. chains.Select(c => c.ToRecord(options.Critic.Name))];
        context.FeedbackLog?.Record(records);
        context.Artifacts.Set<IReadOnlyList<CorrectionFeedback>>(records, CaiKeys.RevisionResults);
        context.Logger.LogInformation("critique-revise: {Count} responses, {Rounds} rounds; gold accuracy {Before:P1} -> {After:P1} (bound {Bound:P1})",
            chains.Count, options.Rounds, MeasureRound(gold, chains, 0)[MetricNames.Gold.Accuracy],
            last[MetricNames.Gold.Accuracy], bound);
    }

    private async Task<IReadOnlyList<Response>> Sample(IStageContext context, IReadOnlyList<Prompt> prompts, CancellationToken ct)
    {
        var order = Enumerable.Range(0, prompts.Count).ToArray();
        context.CreateRandom("critique-revise/prompts").Shuffle(order);
        string prefix = string.Create(CultureInfo.InvariantCulture, $"cr{(ulong)context.Seed % 0xFFFFFF:x6}");
        var responses = new List<Response>(options.Prompts);
        for (int batch = 0; responses.Count < options.Prompts; batch++)
        {
            int count = Math.Min(options.BatchPrompts, options.Prompts - responses.Count);
            List<Prompt> batchPrompts = [.. Enumerable.Range(responses.Count, count).Select(i => prompts[order[i % order.Length]])];
            var generation = new GenerationOptions
            {
                MaxNewTokens = options.MaxNewTokens,
                Temperature = options.Temperature,
                Seed = context.DeriveSeed($"critique-revise/generate/{batch}"),
            };
            IReadOnlyList<Response> answers = await context.Policy.GenerateAsync(batchPrompts, generation, ct).ConfigureAwait(false);
            if (answers.Count != count)
            {
                throw new InvalidOperationException($"The policy returned {answers.Count} responses for {count} prompts.");
            }
            int start = responses.Count;
            responses.AddRange(answers.Select((r, i) => r with { Id = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{start + i}") }));
        }
        return responses;
    }

    private IReadOnlyDictionary<string, double> LogRounds(IStageContext context, IGoldEvaluator gold, List<RevisionChain> chains, RoundTally[] byRound)
    {
        IReadOnlyDictionary<string, double> measured = new Dictionary<string, double>();
        for (int k = 0; k <= options.Rounds; k++)
        {
            measured = MeasureRound(gold, chains, k);
            foreach (string name in RoundMetrics)
            {
                context.Metrics.Log(CaiMetrics.RevisionPrefix + name, measured[name], k);
            }
            if (k > 0)
            {
                RoundTally tally = byRound[k - 1];
                context.Metrics.Log(CaiMetrics.CritiqueFlaggedRate, tally.FlaggedRate, k);
                context.Metrics.Log(CaiMetrics.CritiquePrecision, tally.Precision, k);
                context.Metrics.Log(CaiMetrics.CritiqueRecall, tally.Recall, k);
                context.Metrics.Log(CaiMetrics.RevisedRate, tally.RevisedRate, k);
            }
        }
        return measured;
    }

    /// <summary>The task metrics logged per round.</summary>
    private static readonly string[] RoundMetrics =
        [MetricNames.Gold.Accuracy, MetricNames.Gold.ConfidentWhenWrong, MetricNames.Gold.SycophancyRate, MetricNames.Gold.StepsRate, MetricNames.Gold.MeanLength];

    private static IReadOnlyDictionary<string, double> MeasureRound(IGoldEvaluator gold, List<RevisionChain> chains, int round) =>
        TaskMetrics.MeasureResponses([.. chains.Select(c => gold.Evaluate(c.Revisions[round]))]);

    private static void WriteConstitution(IStageContext context, Constitution constitution)
    {
        string path = context.Files.GetPath(CaiKeys.ConstitutionFile);
        File.WriteAllText(path, JsonSerializer.Serialize(constitution, ConstitutionJson));
        context.Files.Register(CaiKeys.ConstitutionFile, "constitution", "the principles critique-revise sampled from");
    }

    private static readonly JsonSerializerOptions ConstitutionJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Critique counts of one round.</summary>
    private sealed class RoundTally
    {
        private int _count, _flagged, _broken, _flaggedBroken, _revised;

        public void Add(bool broken, bool flagged, bool revised)
        {
            _count++;
            _flagged += flagged ? 1 : 0;
            _broken += broken ? 1 : 0;
            _flaggedBroken += flagged && broken ? 1 : 0;
            _revised += revised ? 1 : 0;
        }

        public double FlaggedRate => _count == 0 ? double.NaN : (double)_flagged / _count;
        public double Precision => _flagged == 0 ? double.NaN : (double)_flaggedBroken / _flagged;
        public double Recall => _broken == 0 ? double.NaN : (double)_flaggedBroken / _broken;
        public double RevisedRate => _count == 0 ? double.NaN : (double)_revised / _count;
    }
}
