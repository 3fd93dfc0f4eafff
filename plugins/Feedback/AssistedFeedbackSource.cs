using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Feedback;

/// <summary>
/// <c>assisted</c>: model-assisted feedback. For each pairwise query a critic (the <c>critic</c> kind, found by name)
/// critiques the responses (both, the first only, or none: <see cref="AssistedFeedbackOptions.Critiqued"/>), and the
/// wrapped source's evaluator reads the critiques before it labels (<see cref="IAssistableSource"/>, in the contracts since 2.4). A simulated
/// evaluator checks the claim a critique points at when it is within its verification limit, and otherwise weighs the
/// critique by <see cref="AssistedFeedbackOptions.Trust"/>. Records carry the critiques as transcript turns (speaker
/// <c>critic</c>); their cost is the evaluator's plus the critic's.
/// </summary>
/// <remarks>
/// The same evaluator also answers every query alone, with the same draws, so each label is measured against its own
/// unassisted counterpart (<see cref="AssistedMetrics"/>): agreement with gold overall, on checkable and on
/// uncheckable items, flaws found, flips right → wrong and wrong → right, cost and time. That measurement is why this
/// component sees the gold evaluator; the critic it creates does not (the host gives a critic the task without it).
/// </remarks>
[SeesGoldTruth("Measures each assisted label and the same evaluator's unassisted label against the truth; the critic it creates never sees it.")]
public sealed class AssistedFeedbackSource : IFeedbackSource
{
    /// <summary>The component name, written into provenance.</summary>
    public const string Name = "assisted";

    /// <summary>The critic used when the options name none (the Critics plugin's scripted critic).</summary>
    public const string DefaultCritic = "scripted";

    /// <summary>The transcript speaker of a critique.</summary>
    public const string CriticSpeaker = "critic";

    private static readonly IReadOnlySet<FeedbackKind> PairwiseOnly = new HashSet<FeedbackKind> { FeedbackKind.Pairwise };

    private readonly AssistedFeedbackOptions _options;
    private readonly IAssistableSource _evaluators;
    private readonly ICritic? _critic;
    private readonly IClaimChecker _claims;
    private readonly IGoldEvaluator _gold;
    private readonly IRunContext _context;
    private readonly Assistance _assistance;
    private readonly Tally _tally = new();

    /// <summary>Creates the source for a run.</summary>
    /// <param name="options">The source's options.</param>
    /// <param name="components">Creates the wrapped source and the critic by name.</param>
    /// <param name="task">The run's task; it must have checkable claims.</param>
    /// <param name="context">The run, whose metric sink receives <see cref="AssistedMetrics"/>.</param>
    /// <param name="gold">The task's gold evaluator, for the measurements only.</param>
    /// <exception cref="InvalidOperationException">The wrapped source cannot use critiques, or the task has no claims.</exception>
    public AssistedFeedbackSource(AssistedFeedbackOptions options, IComponentFactory components, ITask task, IRunContext context, IGoldEvaluator gold)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(components);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(gold);
        _options = options;
        _context = context;
        _gold = gold;
        _claims = task.Claims ?? throw new InvalidOperationException(
            $"The '{Name}' feedback source needs a task with checkable claims (ITask.Claims), such as 'arithmetic': evaluators check the claims critiques point at.");
        _evaluators = components.Create<IFeedbackSource>(options.Source) as IAssistableSource ?? throw new InvalidOperationException(
            $"The feedback source '{options.Source.Name}' cannot use critiques (it does not implement IAssistableSource); wrap one that can ('{SimulatedHumanSource.Name}', 'chat-feedback').");
        _critic = options.Critiqued == CritiquedResponses.None ? null : components.Create<ICritic>(options.Critic);
        _assistance = new Assistance(options.Trust, options.SecondsPerCritique, options.EvaluatorCostPerCritique);
    }

    /// <inheritdoc />
    public IReadOnlySet<FeedbackKind> Supports => PairwiseOnly;

    /// <summary>The measurements over every label this source has given so far (<see cref="AssistedMetrics"/> names).</summary>
    public IReadOnlyDictionary<string, double> Measurements => _tally.Measurements();

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">A query is not pairwise.</exception>
    public async Task<IReadOnlyList<FeedbackRecord>> AnswerAsync(IReadOnlyList<FeedbackQuery> queries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var records = new List<FeedbackRecord>(queries.Count);
        foreach (FeedbackQuery query in queries)
        {
            ct.ThrowIfCancellationRequested();
            if (query is not PairwiseQuery pair)
            {
                throw new NotSupportedException($"{Name} answers pairwise queries only, not {query.Kind} (query {query.Id}); collect pairwise labels with it.");
            }
            Critique? first = _critic is null ? null : await _critic.CritiqueAsync(pair.First, _options.Principle, ct).ConfigureAwait(false);
            Critique? second = _critic is null || _options.Critiqued != CritiquedResponses.Both
                ? null : await _critic.CritiqueAsync(pair.Second, _options.Principle, ct).ConfigureAwait(false);
            AssistedAnswer answer = await _evaluators.AnswerAssistedAsync(pair, first, second, _claims, _assistance, ct).ConfigureAwait(false);
            double criticCost = (first?.Cost ?? 0) + (second?.Cost ?? 0);
            PairwiseFeedback assisted = answer.Assisted;
            records.Add(assisted with
            {
                Provenance = assisted.Provenance with { Source = Name, Cost = assisted.Provenance.Cost + criticCost },
                // The critiques, then whatever exchange the evaluator recorded (a chat judge's question and reply).
                Transcript = [.. Turns(first, "first"), .. Turns(second, "second"), .. assisted.Transcript ?? []],
            });
            _tally.Add(answer, criticCost, _gold);
        }
        IReadOnlyDictionary<string, double> measured = _tally.Measurements();
        foreach (var (metric, value) in measured)
        {
            _context.Metrics.Log(metric, value, _tally.Labels);
        }
        return records;
    }

    private static IEnumerable<TranscriptTurn> Turns(Critique? critique, string which) => critique is null ? [] :
        [new TranscriptTurn(CriticSpeaker, $"On the {which} response ({critique.Critic}{(critique.Principle is null ? "" : $", {critique.Principle}")}): {critique.Text}")];

    /// <summary>Running sums of the measurements.</summary>
    private sealed class Tally
    {
        private double _agree, _agreeAlone, _agreeUnchecked, _agreeAloneUnchecked, _agreeChecked;
        private int _decisive, _decisiveUnchecked, _decisiveChecked, _uncheckable, _flaws, _rightToWrong, _wrongToRight;
        private double _evaluatorCost, _criticCost, _seconds;

        public int Labels { get; private set; }

        public void Add(AssistedAnswer answer, double criticCost, IGoldEvaluator gold)
        {
            Labels++;
            _flaws += answer.FlawsFound;
            _evaluatorCost += answer.Assisted.Provenance.Cost;
            _criticCost += criticCost;
            _seconds += answer.Assisted.Provenance.Latency.TotalSeconds;
            _uncheckable += answer.Checkable == false ? 1 : 0;
            double first = gold.Evaluate(answer.Assisted.First).Score, second = gold.Evaluate(answer.Assisted.Second).Score;
            if (first == second)
            {
                return;
            }
            double assisted = first > second ? answer.Assisted.PreferFirst : 1 - answer.Assisted.PreferFirst;
            double alone = first > second ? answer.Unassisted.PreferFirst : 1 - answer.Unassisted.PreferFirst;
            _decisive++;
            _agree += assisted;
            _agreeAlone += alone;
            if (answer.Checkable is null)
            {
                // An evaluator with no stated verification limit (a chat judge): counted in the overall agreement only.
            }
            else if (answer.Checkable.Value)
            {
                _decisiveChecked++;
                _agreeChecked += assisted;
            }
            else
            {
                _decisiveUnchecked++;
                _agreeUnchecked += assisted;
                _agreeAloneUnchecked += alone;
            }
            _rightToWrong += alone > 0.5 && assisted < 0.5 ? 1 : 0;
            _wrongToRight += alone < 0.5 && assisted > 0.5 ? 1 : 0;
        }

        public IReadOnlyDictionary<string, double> Measurements()
        {
            static double Ratio(double sum, int count) => count == 0 ? double.NaN : sum / count;
            return new Dictionary<string, double>(StringComparer.Ordinal)
            {
                [AssistedMetrics.GoldAgreement] = Ratio(_agree, _decisive),
                [AssistedMetrics.UnassistedGoldAgreement] = Ratio(_agreeAlone, _decisive),
                [AssistedMetrics.GoldAgreementUncheckable] = Ratio(_agreeUnchecked, _decisiveUnchecked),
                [AssistedMetrics.UnassistedGoldAgreementUncheckable] = Ratio(_agreeAloneUnchecked, _decisiveUnchecked),
                [AssistedMetrics.GoldAgreementCheckable] = Ratio(_agreeChecked, _decisiveChecked),
                [AssistedMetrics.FlawsFoundPerLabel] = Ratio(_flaws, Labels),
                [AssistedMetrics.FlippedRightToWrong] = Ratio(_rightToWrong, Labels),
                [AssistedMetrics.FlippedWrongToRight] = Ratio(_wrongToRight, Labels),
                [AssistedMetrics.EvaluatorCostPerLabel] = Ratio(_evaluatorCost, Labels),
                [AssistedMetrics.CriticCostPerLabel] = Ratio(_criticCost, Labels),
                [AssistedMetrics.SecondsPerLabel] = Ratio(_seconds, Labels),
                [AssistedMetrics.UncheckableShare] = Ratio(_uncheckable, Labels),
                [AssistedMetrics.UncheckableDecisiveShare] = Ratio(_decisiveUnchecked, Labels),
            };
        }
    }
}
