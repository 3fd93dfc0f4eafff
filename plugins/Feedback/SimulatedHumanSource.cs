using System.Globalization;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Feedback;

/// <summary>
/// <c>simulated-human</c>: simulated annotators who answer pairwise and rating queries from the responses' gold
/// features (from the task's gold evaluator, which the host gives only to simulated evaluators) through their utility
/// (see <see cref="SimulatedHumanOptions"/>).
/// </summary>
/// <remarks>
/// Pairwise: the annotator (drawn uniformly per query) answers by a fair coin with probability ε, otherwise picks the
/// first response with probability <c>p = σ((U₁ − U₂)/T)</c>; the label is hard (1 or 0) and its confidence is how clear
/// the comparison was to the annotator, <c>max(p, 1 − p)</c> (0.5 for a coin flip), even when it picked the less likely side. A poisoner reports the other side.
/// Rating: <c>Min + (Max − Min)·σ((U − w/2)/T + ℓ)</c> rounded to a whole number, with logistic noise ℓ and
/// <c>w</c> the correctness weight (a random answer is a uniform whole number; a poisoner reports <c>Min + Max − r</c>).
/// Every draw for a query comes from the run's stream <c>feedback/simulated-human/&lt;query id&gt;</c>: the same seed and
/// query ids give the same labels, whatever the batching.
/// </remarks>
[SeesGoldTruth("A simulated annotator judges from the truth, through its biases and limits.")]
public sealed class SimulatedHumanSource : IFeedbackSource, IAssistableSource
{
    /// <summary>The source name written into provenance.</summary>
    public const string Name = "simulated-human";

    private static readonly IReadOnlySet<FeedbackKind> Kinds = new HashSet<FeedbackKind> { FeedbackKind.Pairwise, FeedbackKind.Rating };

    private readonly SimulatedHumanOptions _options;
    private readonly long _seed;
    private readonly IGoldEvaluator _gold;

    /// <summary>Creates the annotators for a run.</summary>
    /// <param name="options">The flaws' switches.</param>
    /// <param name="context">The run, whose seed fixes who poisons and every answer.</param>
    /// <param name="gold">The task's gold evaluator, whose features the annotators' utilities read.</param>
    public SimulatedHumanSource(SimulatedHumanOptions options, IRunContext context, IGoldEvaluator gold)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(gold);
        _gold = gold;
        _options = options;
        _seed = context.Seed;
        Annotators = CreateAnnotators(options, RandomStreams.Create(_seed, $"feedback/{Name}/poisoners"));
    }

    /// <summary>The annotators with their resolved parameters, <c>annotator-0</c> first.</summary>
    public IReadOnlyList<SimulatedAnnotator> Annotators { get; }

    /// <inheritdoc />
    public IReadOnlySet<FeedbackKind> Supports => Kinds;

    /// <inheritdoc />
    public Task<IReadOnlyList<FeedbackRecord>> AnswerAsync(IReadOnlyList<FeedbackQuery> queries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var records = new List<FeedbackRecord>(queries.Count);
        foreach (FeedbackQuery query in queries)
        {
            ct.ThrowIfCancellationRequested();
            var (annotator, atRandom, choice, latency) = Draw(query);
            records.Add(query switch
            {
                PairwiseQuery pair => Pairwise(pair, annotator, atRandom, choice, latency),
                RatingQuery rating => Rating(rating, annotator, atRandom, choice, latency),
                _ => throw new NotSupportedException($"{Name} answers pairwise and rating queries, not {query.Kind} (query {query.Id})."),
            });
        }
        return Task.FromResult<IReadOnlyList<FeedbackRecord>>(records);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The same annotator and draws as the unassisted answer to the query (so the two labels differ only where the
    /// critiques change the annotator's mind). On an item the annotator can check, critiques change nothing: it already
    /// knows which response is right. On an item beyond its limit, correctness enters its utility as a belief
    /// (<see cref="SimulatedAnnotator.Believe"/>) in place of the truth it cannot see.
    /// </remarks>
    public Task<AssistedAnswer> AnswerAssistedAsync(PairwiseQuery pair, Critique? first, Critique? second, IClaimChecker claims, Assistance assistance,
        CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(AnswerAssisted(pair, first, second, claims, assistance));
    }

    private AssistedAnswer AnswerAssisted(PairwiseQuery pair, Critique? first, Critique? second, IClaimChecker claims, Assistance assistance)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(claims);
        ArgumentNullException.ThrowIfNull(assistance);
        var (annotator, atRandom, choice, latency) = Draw(pair);
        GoldEvaluation a = _gold.Evaluate(pair.First), b = _gold.Evaluate(pair.Second);
        PairwiseFeedback alone = Pairwise(pair, annotator, atRandom, choice, latency);
        CritiqueReading readFirst = annotator.Believe(first, pair.First, claims, assistance.Trust);
        CritiqueReading readSecond = annotator.Believe(second, pair.Second, claims, assistance.Trust);
        bool checkable = annotator.CanCheck(a) && annotator.CanCheck(b);
        double p = checkable
            ? annotator.RationalPreferFirst(a, b)
            : SimulatedAnnotator.Sigmoid((annotator.AssistedUtility(a, readFirst.Belief) - annotator.AssistedUtility(b, readSecond.Belief)) / annotator.Temperature);
        int read = (first is null ? 0 : 1) + (second is null ? 0 : 1);
        PairwiseFeedback assisted = Pairwise(pair, annotator, atRandom, choice, latency + TimeSpan.FromSeconds(read * assistance.SecondsPerCritique), p);
        assisted = assisted with { Provenance = assisted.Provenance with { Cost = annotator.CostPerLabel + (read * assistance.EvaluatorCostPerCritique) } };
        return new AssistedAnswer(alone, assisted, checkable, (readFirst.FlawFound ? 1 : 0) + (readSecond.FlawFound ? 1 : 0));
    }

    /// <summary>The draws of one query, in the order every answer to it makes them.</summary>
    private (SimulatedAnnotator Annotator, bool AtRandom, double Choice, TimeSpan Latency) Draw(FeedbackQuery query)
    {
        Random random = RandomStreams.Create(_seed, $"feedback/{Name}/{query.Id}");
        SimulatedAnnotator annotator = Annotators[random.Next(Annotators.Count)];
        bool atRandom = random.NextDouble() < annotator.RandomRate;
        double choice = random.NextDouble();
        var latency = TimeSpan.FromSeconds(_options.MeanLatencySeconds * (0.5 + random.NextDouble()));
        return (annotator, atRandom, choice, latency);
    }

    private PairwiseFeedback Pairwise(PairwiseQuery pair, SimulatedAnnotator annotator, bool atRandom, double choice, TimeSpan latency, double? preferFirst = null)
    {
        double p = preferFirst ?? annotator.RationalPreferFirst(_gold.Evaluate(pair.First), _gold.Evaluate(pair.Second));
        bool first = atRandom ? choice < 0.5 : choice < p;
        double confidence = atRandom ? 0.5 : Math.Max(p, 1 - p);
        if (annotator.Poisoner)
        {
            first = !first;
        }
        var provenance = new FeedbackProvenance(Name, annotator.Name, annotator.CostPerLabel, latency, confidence);
        return new PairwiseFeedback(pair.Id, provenance, pair.First, pair.Second, first ? 1 : 0);
    }

    private RatingFeedback Rating(RatingQuery query, SimulatedAnnotator annotator, bool atRandom, double choice, TimeSpan latency)
    {
        double low = Math.Ceiling(query.Min);
        double high = Math.Floor(query.Max);
        double rating;
        double confidence;
        if (atRandom)
        {
            rating = Math.Min(high, low + Math.Floor(choice * (high - low + 1)));
            confidence = 0.5;
        }
        else
        {
            double centred = (annotator.Utility(_gold.Evaluate(query.Response)) - (annotator.CorrectnessWeight / 2)) / annotator.Temperature;
            double noise = Math.Log(Math.Max(choice, 1e-12) / Math.Max(1 - choice, 1e-12));
            rating = Math.Clamp(Math.Round(query.Min + ((query.Max - query.Min) * SimulatedAnnotator.Sigmoid(centred + noise))), low, high);
            double p = SimulatedAnnotator.Sigmoid(centred);
            confidence = Math.Max(p, 1 - p);
        }
        if (annotator.Poisoner)
        {
            rating = low + high - rating;
        }
        return new RatingFeedback(query.Id, new FeedbackProvenance(Name, annotator.Name, annotator.CostPerLabel, latency, confidence), query.Response, rating);
    }

    private static SimulatedAnnotator[] CreateAnnotators(SimulatedHumanOptions options, Random random)
    {
        int n = options.Annotators;
        // Which annotators poison: a seeded choice of round(fraction·n), then any profile's explicit say.
        int poisoners = (int)Math.Round(options.PoisonFraction * n, MidpointRounding.AwayFromZero);
        var order = Enumerable.Range(0, n).ToArray();
        random.Shuffle(order);
        var poisoning = new HashSet<int>(order.Take(poisoners));
        var annotators = new SimulatedAnnotator[n];
        for (int i = 0; i < n; i++)
        {
            AnnotatorProfile profile = i < options.Profiles.Count ? options.Profiles[i] : new AnnotatorProfile();
            annotators[i] = new SimulatedAnnotator(
                string.Create(CultureInfo.InvariantCulture, $"annotator-{i}"),
                profile.Temperature ?? options.Temperature,
                profile.RandomRate ?? options.RandomRate,
                profile.VerificationLimit ?? options.VerificationLimit,
                profile.CorrectnessWeight ?? options.CorrectnessWeight,
                profile.LengthBias ?? options.LengthBias,
                profile.ConfidenceBias ?? options.ConfidenceBias,
                profile.Sycophancy ?? options.Sycophancy,
                profile.CostPerLabel ?? options.CostPerLabel,
                profile.Poisoner ?? poisoning.Contains(i));
        }
        return annotators;
    }
}
