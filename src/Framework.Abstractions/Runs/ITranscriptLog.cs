namespace AlignFx.Abstractions.Runs;

/// <summary>
/// Keeps oversight transcripts (a debate's turns, a consultancy, a critique dialogue) in the run's store, so that
/// reports show them and the budget counts them (<see cref="IRunContext.TranscriptLog"/>). Feedback records that carry
/// a transcript are kept by the host through <see cref="Feedback.IFeedbackLog"/> already; this is for transcripts of
/// stages that collect no feedback, such as an oversight evaluation. Added in contracts 2.5.
/// </summary>
public interface ITranscriptLog
{
    /// <summary>Stores one transcript, tagged with the current stage.</summary>
    /// <param name="method">The oversight method that produced it, as manifests name it (e.g. <c>debate</c>).</param>
    /// <param name="payloadJson">The transcript as one JSON object.</param>
    void Record(string method, string payloadJson);
}
