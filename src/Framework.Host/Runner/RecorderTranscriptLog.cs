using AlignFx.Abstractions.Runs;
using AlignFx.Host.Store;

namespace AlignFx.Host.Runner;

/// <summary>Keeps a stage's oversight transcripts in the run's store.</summary>
internal sealed class RecorderTranscriptLog(RunRecorder recorder) : ITranscriptLog
{
    public void Record(string method, string payloadJson)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        ArgumentException.ThrowIfNullOrWhiteSpace(payloadJson);
        recorder.AddTranscript(new TranscriptEntry(method, payloadJson));
    }
}
