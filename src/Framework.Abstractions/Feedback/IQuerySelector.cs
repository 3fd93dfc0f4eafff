namespace AlignFx.Abstractions.Feedback;

/// <summary>
/// Chooses which of many candidate queries are worth a label (active feedback collection): for example the pairs
/// on which the members of a reward-model ensemble disagree most (Christiano et al. 2017). Stages that collect
/// feedback generate more candidates than their label budget and ask the source only about the selected ones.
/// </summary>
public interface IQuerySelector
{
    /// <summary>Picks <paramref name="count"/> of <paramref name="candidates"/> (all of them when there are fewer), most informative first.</summary>
    /// <param name="candidates">The queries that could be asked (responses never carry the truth).</param>
    /// <param name="count">How many to keep.</param>
    /// <param name="ct">Cancels the selection.</param>
    /// <returns>The chosen queries, each one of <paramref name="candidates"/>.</returns>
    Task<IReadOnlyList<FeedbackQuery>> SelectAsync(IReadOnlyList<FeedbackQuery> candidates, int count, CancellationToken ct);
}
