using AlignFx.Host.Chat;
using AlignFx.Host.Store;

namespace AlignFx.Host.Reports;

/// <summary>
/// What a run spent, as the store records it: feedback labels and their cost, oversight transcripts, chat-model calls
/// and tokens, stages run and restored from the stage cache, the wall time of the stages it ran, and metric points
/// logged.
/// </summary>
internal sealed record RunBudget(double Labels, double LabelCost, double Transcripts, double ChatCalls, double ChatCached,
    double InputTokens, double OutputTokens, double Stages, double CachedStages, double StageSeconds, double MetricPoints)
{
    /// <summary>The wall-time row's label; the only row whose value depends on the machine and its load.</summary>
    public const string WallTimeRow = "wall time of the stages run, s (this machine, its load; cache restores excluded)";

    /// <summary>The rows a budget table shows, in order, with each run's value.</summary>
    public static readonly IReadOnlyList<(string Row, Func<RunBudget, double> Value)> Rows =
    [
        ("feedback labels (records)", b => b.Labels),
        ("label cost (source units)", b => b.LabelCost),
        ("oversight transcripts", b => b.Transcripts),
        ("chat-model calls", b => b.ChatCalls),
        ("chat-model calls answered from the cache", b => b.ChatCached),
        ("chat-model input tokens", b => b.InputTokens),
        ("chat-model output tokens", b => b.OutputTokens),
        ("stages completed", b => b.Stages),
        ("stages restored from the stage cache", b => b.CachedStages),
        (WallTimeRow, b => Math.Round(b.StageSeconds, 1)),
        ("metric points logged (steps logged, all series)", b => b.MetricPoints),
    ];

    public static RunBudget Of(RunStore store, string runId)
    {
        IReadOnlyList<FeedbackCount> feedback = store.GetFeedbackCounts(runId);
        IReadOnlyList<ChatUsageSummary> chat = ChatStore.Summarise(store, runId);
        RunDetails? details = store.GetRun(runId);
        var completed = details?.Stages.Where(s => s.Status == RunStatus.Completed).ToList() ?? [];
        return new RunBudget(
            feedback.Sum(f => (double)f.Records),
            feedback.Sum(f => f.TotalCost),
            store.GetTranscriptCounts(runId).Sum(t => (double)t.Transcripts),
            chat.Sum(c => (double)c.Calls),
            chat.Sum(c => (double)c.Cached),
            chat.Sum(c => (double)c.InputTokens),
            chat.Sum(c => (double)c.OutputTokens),
            completed.Count,
            completed.Count(s => s.Cached),
            completed.Where(s => !s.Cached && s.EndedUtc is not null).Sum(s => (s.EndedUtc!.Value - s.StartedUtc).TotalSeconds),
            store.GetMetricSummaries(runId).Sum(m => (double)m.Points));
    }
}
