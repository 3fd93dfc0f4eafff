namespace AlignFx.Abstractions.Feedback;

/// <summary>
/// Keeps feedback records in the run's store, with their provenance, so that labels can be audited and
/// analysed after the run (<see cref="Runs.IRunContext.FeedbackLog"/>).
/// </summary>
public interface IFeedbackLog
{
    /// <summary>Stores <paramref name="records"/>, tagged with the current stage, in one transaction.</summary>
    /// <param name="records">The records, in collection order.</param>
    void Record(IReadOnlyList<FeedbackRecord> records);
}
