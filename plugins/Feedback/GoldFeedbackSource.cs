using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Feedback;

/// <summary>
/// The oracle (<c>gold</c>), for upper-bound arms: prefers the response with the higher gold score (0.5 on ties) and
/// rates a response by its gold score mapped onto the query's scale (a score of 0 gives the minimum, 1 the maximum).
/// Free and instant; confidence 1, or 0.5 on ties.
/// </summary>
/// <param name="gold">The task's gold evaluator.</param>
[SeesGoldTruth("The oracle answers from the truth: the upper bound other sources are measured against.")]
public sealed class GoldFeedbackSource(IGoldEvaluator gold) : IFeedbackSource
{
    /// <summary>The source name written into provenance.</summary>
    public const string Name = "gold";

    private static readonly IReadOnlySet<FeedbackKind> Kinds = new HashSet<FeedbackKind> { FeedbackKind.Pairwise, FeedbackKind.Rating };

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
            switch (query)
            {
                case PairwiseQuery pair:
                    double first = gold.Evaluate(pair.First).Score;
                    double second = gold.Evaluate(pair.Second).Score;
                    double prefer = first > second ? 1 : first < second ? 0 : 0.5;
                    records.Add(new PairwiseFeedback(pair.Id, Provenance(prefer == 0.5 ? 0.5 : 1), pair.First, pair.Second, prefer));
                    break;
                case RatingQuery rating:
                    double score = Math.Clamp(gold.Evaluate(rating.Response).Score, 0, 1);
                    records.Add(new RatingFeedback(rating.Id, Provenance(1), rating.Response, rating.Min + ((rating.Max - rating.Min) * score)));
                    break;
                default:
                    throw new NotSupportedException($"{Name} answers pairwise and rating queries, not {query.Kind} (query {query.Id}).");
            }
        }
        return Task.FromResult<IReadOnlyList<FeedbackRecord>>(records);
    }

    private static FeedbackProvenance Provenance(double confidence) => new(Name, "oracle", 0, TimeSpan.Zero, confidence);
}
