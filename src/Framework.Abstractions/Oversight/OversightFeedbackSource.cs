using System.Diagnostics;
using AlignFx.Abstractions.Feedback;

namespace AlignFx.Abstractions.Oversight;

/// <summary>
/// Makes an oversight method a feedback source for pairwise queries: the verdict becomes a soft preference
/// (the confidence for the chosen side), and the transcript travels with the record.
/// </summary>
/// <param name="method">The oversight method that judges.</param>
/// <param name="sourceName">The name recorded as the records' source (the component's name, for example <c>debate</c>).</param>
public sealed class OversightFeedbackSource(IOversightMethod method, string sourceName) : IFeedbackSource
{
    private static readonly IReadOnlySet<FeedbackKind> PairwiseOnly = new HashSet<FeedbackKind> { FeedbackKind.Pairwise };

    /// <inheritdoc />
    public IReadOnlySet<FeedbackKind> Supports => PairwiseOnly;

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">A query is not pairwise.</exception>
    public async Task<IReadOnlyList<FeedbackRecord>> AnswerAsync(IReadOnlyList<FeedbackQuery> queries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var records = new List<FeedbackRecord>(queries.Count);
        foreach (FeedbackQuery query in queries)
        {
            if (query is not PairwiseQuery pair)
            {
                throw new NotSupportedException($"{sourceName} answers pairwise queries only, not {query.Kind} (query {query.Id}).");
            }
            long started = Stopwatch.GetTimestamp();
            OversightVerdict verdict = await method.JudgeAsync(new OversightQuestion(pair.Id, [pair.First, pair.Second]), ct).ConfigureAwait(false);
            if (verdict.Chosen is not (0 or 1))
            {
                throw new InvalidOperationException($"{sourceName} chose candidate {verdict.Chosen} of 2 for query {pair.Id}.");
            }
            double confidence = Math.Clamp(verdict.Confidence, 0, 1);
            var provenance = new FeedbackProvenance(sourceName, verdict.Judge.Length > 0 ? verdict.Judge : sourceName,
                verdict.Cost, Stopwatch.GetElapsedTime(started), confidence);
            records.Add(new PairwiseFeedback(pair.Id, provenance, pair.First, pair.Second, verdict.Chosen == 0 ? confidence : 1 - confidence)
            {
                Transcript = verdict.Transcript,
            });
        }
        return records;
    }
}
