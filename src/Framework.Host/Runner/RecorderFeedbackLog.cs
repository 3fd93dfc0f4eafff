using System.Text.Json;
using System.Text.Json.Serialization;
using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Tasks;
using AlignFx.Host.Store;

namespace AlignFx.Host.Runner;

/// <summary>
/// Records the feedback a stage collected in the run's store, one row per record with its provenance; a record that
/// came with a transcript (a debate's, a consultancy's) is also kept as an oversight transcript of its source, which
/// the report shows and the budget counts.
/// </summary>
internal sealed class RecorderFeedbackLog(RunRecorder recorder) : IFeedbackLog
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public void Record(IReadOnlyList<FeedbackRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        string[] payloads = [.. records.Select(Payload)];
        recorder.AddFeedback(records.Select((r, i) => new FeedbackEntry(
            r.Provenance.Source, r.Provenance.Annotator, r.Kind.ToString().ToLowerInvariant(), payloads[i],
            r.Provenance.Cost, r.Provenance.Latency, r.Provenance.Confidence)));
        recorder.AddTranscripts(records
            .Select((r, i) => (Record: r, Payload: payloads[i]))
            .Where(x => x.Record.Transcript is { Count: > 0 })
            .Select(x => new TranscriptEntry(x.Record.Provenance.Source, x.Payload)));
    }

    /// <summary>The record's content: what was asked, what was answered, and any transcript.</summary>
    internal static string Payload(FeedbackRecord record)
    {
        object body = record switch
        {
            PairwiseFeedback p => new { p.QueryId, kind = "pairwise", first = Describe(p.First), second = Describe(p.Second), p.PreferFirst, record.Transcript },
            RatingFeedback r => new { r.QueryId, kind = "rating", response = Describe(r.Response), r.Rating, record.Transcript },
            CritiqueFeedback c => new { c.QueryId, kind = "critique", response = Describe(c.Response), c.Critique, record.Transcript },
            CorrectionFeedback c => new { c.QueryId, kind = "correction", response = Describe(c.Response), c.Corrected, record.Transcript },
            _ => new { record.QueryId, kind = record.Kind.ToString().ToLowerInvariant(), record.Transcript },
        };
        return JsonSerializer.Serialize(body, Json);
    }

    private static object Describe(Response response) =>
        new { response.Id, promptId = response.Prompt.Id, prompt = response.Prompt.Text, response.Text };
}
