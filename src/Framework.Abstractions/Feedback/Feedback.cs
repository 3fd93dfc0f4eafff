using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Abstractions.Feedback;

/// <summary>The kinds of question a feedback source can answer.</summary>
public enum FeedbackKind
{
    /// <summary>Which of two responses is better.</summary>
    Pairwise,
    /// <summary>A score for one response.</summary>
    Rating,
    /// <summary>A written critique of one response.</summary>
    Critique,
    /// <summary>An improved version of one response.</summary>
    Correction,
}

/// <summary>A question put to a feedback source.</summary>
/// <param name="Id">Unique within a run; the answer carries it.</param>
public abstract record FeedbackQuery(string Id)
{
    /// <summary>What kind of answer is asked for.</summary>
    public abstract FeedbackKind Kind { get; }
}

/// <summary>Which of two responses to the same prompt is better?</summary>
/// <param name="Id">The query's id.</param>
/// <param name="First">The first response.</param>
/// <param name="Second">The second response.</param>
public sealed record PairwiseQuery(string Id, Response First, Response Second) : FeedbackQuery(Id)
{
    /// <inheritdoc />
    public override FeedbackKind Kind => FeedbackKind.Pairwise;
}

/// <summary>How good is this response, on a scale?</summary>
/// <param name="Id">The query's id.</param>
/// <param name="Response">The response to rate.</param>
/// <param name="Min">The lowest rating.</param>
/// <param name="Max">The highest rating.</param>
public sealed record RatingQuery(string Id, Response Response, double Min = 1, double Max = 7) : FeedbackQuery(Id)
{
    /// <inheritdoc />
    public override FeedbackKind Kind => FeedbackKind.Rating;
}

/// <summary>What is wrong with this response?</summary>
/// <param name="Id">The query's id.</param>
/// <param name="Response">The response to critique.</param>
public sealed record CritiqueQuery(string Id, Response Response) : FeedbackQuery(Id)
{
    /// <inheritdoc />
    public override FeedbackKind Kind => FeedbackKind.Critique;
}

/// <summary>What should this response have said?</summary>
/// <param name="Id">The query's id.</param>
/// <param name="Response">The response to correct.</param>
public sealed record CorrectionQuery(string Id, Response Response) : FeedbackQuery(Id)
{
    /// <inheritdoc />
    public override FeedbackKind Kind => FeedbackKind.Correction;
}

/// <summary>Where a feedback record came from, so that analyses can weigh, filter and audit labels.</summary>
/// <param name="Source">The feedback source (its component name, for example <c>simulated-human</c>).</param>
/// <param name="Annotator">Which annotator within the source answered (for example <c>annotator-3</c>, or a model's name).</param>
/// <param name="Cost">What the label cost, in the source's unit (simulated dollars, tokens).</param>
/// <param name="Latency">How long the answer took (simulated or measured).</param>
/// <param name="Confidence">The annotator's confidence in its answer, in [0, 1].</param>
public sealed record FeedbackProvenance(string Source, string Annotator, double Cost, TimeSpan Latency, double Confidence);

/// <summary>An answer to a <see cref="FeedbackQuery"/>.</summary>
/// <param name="QueryId">The query answered.</param>
/// <param name="Provenance">Who answered, at what cost.</param>
public abstract record FeedbackRecord(string QueryId, FeedbackProvenance Provenance)
{
    /// <summary>What kind of answer this is.</summary>
    public abstract FeedbackKind Kind { get; }

    /// <summary>The reasoning behind the answer (a debate, a critique exchange), when the source kept one.</summary>
    public IReadOnlyList<TranscriptTurn>? Transcript { get; init; }
}

/// <summary>A pairwise preference, soft: 1 means <paramref name="First"/> is better, 0 <paramref name="Second"/>, 0.5 a tie.</summary>
/// <param name="QueryId">The query answered.</param>
/// <param name="Provenance">Who answered.</param>
/// <param name="First">The first response.</param>
/// <param name="Second">The second response.</param>
/// <param name="PreferFirst">The probability, in [0, 1], that the first response is the better one.</param>
public sealed record PairwiseFeedback(string QueryId, FeedbackProvenance Provenance, Response First, Response Second, double PreferFirst)
    : FeedbackRecord(QueryId, Provenance)
{
    /// <inheritdoc />
    public override FeedbackKind Kind => FeedbackKind.Pairwise;
}

/// <summary>A rating of one response.</summary>
/// <param name="QueryId">The query answered.</param>
/// <param name="Provenance">Who answered.</param>
/// <param name="Response">The rated response.</param>
/// <param name="Rating">The rating, on the query's scale.</param>
public sealed record RatingFeedback(string QueryId, FeedbackProvenance Provenance, Response Response, double Rating)
    : FeedbackRecord(QueryId, Provenance)
{
    /// <inheritdoc />
    public override FeedbackKind Kind => FeedbackKind.Rating;
}

/// <summary>A critique of one response.</summary>
/// <param name="QueryId">The query answered.</param>
/// <param name="Provenance">Who answered.</param>
/// <param name="Response">The critiqued response.</param>
/// <param name="Critique">The critique's text.</param>
public sealed record CritiqueFeedback(string QueryId, FeedbackProvenance Provenance, Response Response, string Critique)
    : FeedbackRecord(QueryId, Provenance)
{
    /// <inheritdoc />
    public override FeedbackKind Kind => FeedbackKind.Critique;
}

/// <summary>A corrected version of one response.</summary>
/// <param name="QueryId">The query answered.</param>
/// <param name="Provenance">Who answered.</param>
/// <param name="Response">The original response.</param>
/// <param name="Corrected">The text the response should have been.</param>
public sealed record CorrectionFeedback(string QueryId, FeedbackProvenance Provenance, Response Response, string Corrected)
    : FeedbackRecord(QueryId, Provenance)
{
    /// <inheritdoc />
    public override FeedbackKind Kind => FeedbackKind.Correction;
}

/// <summary>
/// A source of feedback: simulated humans, AI judges, real people, oversight-assisted judges
/// (<see cref="OversightFeedbackSource"/>).
/// </summary>
public interface IFeedbackSource
{
    /// <summary>The kinds of query this source answers.</summary>
    IReadOnlySet<FeedbackKind> Supports { get; }

    /// <summary>
    /// Answers queries. A source may leave a query unanswered (a person skipped it); each record names its query.
    /// </summary>
    /// <param name="queries">The queries, of kinds in <see cref="Supports"/>.</param>
    /// <param name="ct">Stops between queries.</param>
    /// <returns>The records, in query order.</returns>
    Task<IReadOnlyList<FeedbackRecord>> AnswerAsync(IReadOnlyList<FeedbackQuery> queries, CancellationToken ct);
}

/// <summary>Feedback records collected in a run, with their provenance: what reward models learn from.</summary>
public sealed class FeedbackDataset
{
    private readonly List<FeedbackRecord> _records;

    /// <summary>A dataset of <paramref name="records"/>.</summary>
    /// <param name="records">The records, in collection order.</param>
    public FeedbackDataset(IEnumerable<FeedbackRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        _records = [.. records];
    }

    /// <summary>Every record, in collection order.</summary>
    public IReadOnlyList<FeedbackRecord> Records => _records;

    /// <summary>The pairwise preferences, in collection order.</summary>
    public IEnumerable<PairwiseFeedback> Pairwise => _records.OfType<PairwiseFeedback>();

    /// <summary>The summed cost of every record.</summary>
    public double TotalCost => _records.Sum(r => r.Provenance.Cost);

    /// <summary>Appends records (a later collection round).</summary>
    /// <param name="records">The new records.</param>
    public void Add(IEnumerable<FeedbackRecord> records) => _records.AddRange(records);
}
