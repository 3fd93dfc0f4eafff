using System.Globalization;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.ConstitutionalCritique;

/// <summary>
/// <c>simulated-ai</c>: a simulated AI feedback model (see <see cref="SimulatedAiOptions"/> for its choice model). As a
/// feedback source it answers pairwise queries in the order given, with no principle, as a soft label (the naive AI
/// labeller); as an <see cref="IPrincipleJudge"/> it judges under a principle for <c>ai-feedback</c>. Every call draws
/// its noise from the run's stream <c>feedback/simulated-ai/&lt;call id&gt;</c>: same seed, same labels.
/// </summary>
[SeesGoldTruth("A simulated AI labeller judges from the truth through its stated biases and its literal reading of principles.")]
public sealed class SimulatedAiLabeller : IFeedbackSource, IPrincipleJudge
{
    private static readonly IReadOnlySet<FeedbackKind> Kinds = new HashSet<FeedbackKind> { FeedbackKind.Pairwise };

    private readonly SimulatedAiOptions _options;
    private readonly IGoldEvaluator _gold;
    private readonly long _seed;

    /// <summary>Creates the labeller for a run.</summary>
    /// <param name="options">Its biases.</param>
    /// <param name="context">The run, whose seed fixes the noise.</param>
    /// <param name="gold">The task's gold evaluator, whose features its utility reads.</param>
    public SimulatedAiLabeller(SimulatedAiOptions options, IRunContext context, IGoldEvaluator gold)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(gold);
        _options = options;
        _gold = gold;
        _seed = context.Seed;
    }

    /// <inheritdoc />
    public IReadOnlySet<FeedbackKind> Supports => Kinds;

    /// <summary>The labeller's utility of a response with these gold features, under <paramref name="principle"/>.</summary>
    /// <param name="truth">The response's gold evaluation.</param>
    /// <param name="principle">The principle, or null.</param>
    /// <returns>U (see <see cref="SimulatedAiOptions"/>).</returns>
    public double Utility(GoldEvaluation truth, Principle? principle)
    {
        ArgumentNullException.ThrowIfNull(truth);
        bool checkable = truth.Get(GoldFeatures.Difficulty) <= _options.VerificationLimit;
        double correct = checkable ? truth.Get(GoldFeatures.Correct) : 0;
        double core = principle is null
            ? correct
            : ((1 - _options.Literalism) * correct) - (_options.Literalism * PrincipleViolations.Count(principle, truth));
        return core + (_options.VerbosityBias * truth.Get(GoldFeatures.Length)) + (_options.SelfPreference * truth.Get(_options.OwnStyle));
    }

    /// <inheritdoc />
    public Task<PrincipleJudgement> JudgeAsync(string callId, Response first, Response second, Principle? principle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(callId);
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        ct.ThrowIfCancellationRequested();
        GoldEvaluation a = _gold.Evaluate(first), b = _gold.Evaluate(second);
        Random random = RandomStreams.Create(_seed, $"feedback/{CaiComponents.SimulatedAi}/{callId}");
        double noise = _options.Noise * Gaussian(random);
        double logit = ((Utility(a, principle) - Utility(b, principle)) / _options.Temperature) + _options.PositionBias + noise;
        double p = Math.Clamp(Sigmoid(logit), 1e-6, 1 - 1e-6);
        return Task.FromResult(new PrincipleJudgement(p, Rationale(a, b, principle, p), CaiComponents.SimulatedAi, _options.CostPerCall));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<FeedbackRecord>> AnswerAsync(IReadOnlyList<FeedbackQuery> queries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var records = new List<FeedbackRecord>(queries.Count);
        foreach (FeedbackQuery query in queries)
        {
            if (query is not PairwiseQuery pair)
            {
                throw new NotSupportedException($"{CaiComponents.SimulatedAi} answers pairwise queries only, not {query.Kind} (query {query.Id}).");
            }
            PrincipleJudgement judgement = await JudgeAsync(pair.Id, pair.First, pair.Second, null, ct).ConfigureAwait(false);
            double p = judgement.PreferFirst;
            var provenance = new FeedbackProvenance(CaiComponents.SimulatedAi, judgement.Judge, judgement.Cost, TimeSpan.Zero, Math.Max(p, 1 - p));
            records.Add(new PairwiseFeedback(pair.Id, provenance, pair.First, pair.Second, p)
            {
                Transcript = [new(CaiKeys.FeedbackModelSpeaker, judgement.Rationale)],
            });
        }
        return records;
    }

    private string Rationale(GoldEvaluation first, GoldEvaluation second, Principle? principle, double p)
    {
        string Broken(GoldEvaluation truth)
        {
            var broken = principle is null ? [] : principle.Concerns.Where(c => PrincipleViolations.Breaks(c, truth)).ToList();
            return broken.Count == 0 ? "follows it" : "breaks it (" + string.Join(", ", broken) + ")";
        }
        string under = principle is null ? "In general" : $"Under '{principle.Name}'";
        return string.Create(CultureInfo.InvariantCulture,
            $"{under}: the first response {Broken(first)}, the second {Broken(second)}; the first is better with probability {p:0.###}.");
    }

    private static double Gaussian(Random random)
    {
        // Box–Muller: two uniform draws per call, whatever the noise level, so a zero noise leaves the stream as it is.
        double u1 = 1 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>The logistic function.</summary>
    /// <param name="x">Any number.</param>
    /// <returns>1 / (1 + e^−x).</returns>
    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>The log-odds of a probability, clamped to [1e-6, 1 − 1e-6] first.</summary>
    /// <param name="p">A probability.</param>
    /// <returns>log(p / (1 − p)).</returns>
    public static double Logit(double p)
    {
        double q = Math.Clamp(p, 1e-6, 1 - 1e-6);
        return Math.Log(q / (1 - q));
    }
}
