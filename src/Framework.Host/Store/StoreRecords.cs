namespace AlignFx.Host.Store;

/// <summary>What the runner knows when a run starts.</summary>
/// <param name="Name">A short human name (usually the manifest's <c>name</c> or file name).</param>
/// <param name="Seed">The run seed every component's random stream derives from.</param>
/// <param name="ManifestJson">The manifest text exactly as run (comments allowed); its SHA-256 is stored beside it.</param>
public sealed record NewRun(string Name, long Seed, string ManifestJson)
{
    /// <summary>The compare this run is an arm of (null for a plain pipeline run).</summary>
    public string? CompareId { get; init; }

    /// <summary>The arm's name within its compare (null for a plain pipeline run).</summary>
    public string? Arm { get; init; }

    /// <summary>How many stages the manifest lists, so views can show "2/6" before the later stages start.</summary>
    public int? PlannedStages { get; init; }
}

/// <summary>One run as stored.</summary>
public sealed record RunInfo
{
    /// <summary>The run's sortable unique id (see <see cref="RunIds"/>).</summary>
    public required string Id { get; init; }
    /// <summary>The human name given at start.</summary>
    public required string Name { get; init; }
    /// <summary>Pipeline run or compare arm.</summary>
    public required RunKind Kind { get; init; }
    /// <summary>The compare this run belongs to, for a compare arm.</summary>
    public string? CompareId { get; init; }
    /// <summary>The arm's name, for a compare arm.</summary>
    public string? Arm { get; init; }
    /// <summary>The run seed.</summary>
    public required long Seed { get; init; }
    /// <summary>The manifest text as run.</summary>
    public required string ManifestJson { get; init; }
    /// <summary>Lower-case hex SHA-256 of the manifest text's UTF-8 bytes.</summary>
    public required string ManifestSha256 { get; init; }
    /// <summary>The run's state.</summary>
    public required RunStatus Status { get; init; }
    /// <summary>Why it failed, or how an incomplete run was detected.</summary>
    public string? Error { get; init; }
    /// <summary>Stage count announced at start, if any.</summary>
    public int? PlannedStages { get; init; }
    /// <summary>When the run began (UTC).</summary>
    public required DateTimeOffset StartedUtc { get; init; }
    /// <summary>When the run ended (UTC); null while running and for incomplete runs.</summary>
    public DateTimeOffset? EndedUtc { get; init; }
    /// <summary>Process id of the process that ran it.</summary>
    public required int ProcessId { get; init; }
    /// <summary>Machine name of the process that ran it.</summary>
    public required string Host { get; init; }
    /// <summary>Stages that completed.</summary>
    public int StagesCompleted { get; init; }
    /// <summary>Stages recorded so far (any status).</summary>
    public int StagesRecorded { get; init; }

    /// <summary>The stage total views show: the planned count, or the recorded count when larger or unknown.</summary>
    public int StagesTotal => Math.Max(PlannedStages ?? 0, StagesRecorded);
}

/// <summary>One stage of a run as stored.</summary>
/// <param name="Index">The stage's position in the manifest (0-based, as in <c>$.stages[0]</c>).</param>
/// <param name="Name">The stage kind's name (<c>pretrain</c>, <c>optimise</c>, ...).</param>
/// <param name="StageId">The stage's id within the run (the manifest's <c>id</c>, or the name when it gave none).</param>
/// <param name="Status">The stage's state.</param>
/// <param name="Error">Why it failed, if it did.</param>
/// <param name="StartedUtc">When it began.</param>
/// <param name="EndedUtc">When it ended; null while running or when the process died.</param>
public sealed record StageInfo(
    int Index, string Name, string StageId, RunStatus Status, string? Error, DateTimeOffset StartedUtc, DateTimeOffset? EndedUtc)
{
    /// <summary>The stage-cache key when the stage is cacheable, else null.</summary>
    public string? CacheKey { get; init; }

    /// <summary>Whether the stage was restored from the stage cache instead of run.</summary>
    public bool Cached { get; init; }
}

/// <summary>A run with its stages.</summary>
/// <param name="Run">The run.</param>
/// <param name="Stages">Its stages by index.</param>
public sealed record RunDetails(RunInfo Run, IReadOnlyList<StageInfo> Stages);

/// <summary>One logged metric value.</summary>
/// <param name="StageIndex">The stage it was logged in; null for run-level metrics logged outside any stage.</param>
/// <param name="Step">The step (optimisation step, epoch, label count: whatever the metric's x axis is).</param>
/// <param name="Value">The value; NaN survives the round trip (SQLite keeps it as NULL).</param>
public readonly record struct MetricPoint(int? StageIndex, long Step, double Value);

/// <summary>One metric series of a run: a name within one stage, with its points in step order.</summary>
/// <param name="StageIndex">The stage (null: run-level).</param>
/// <param name="Name">The metric name (<c>objective/kl</c>, <c>gold/reward</c>, ...).</param>
/// <param name="Steps">Steps in ascending order (ties in the order they were logged).</param>
/// <param name="Values">Values, parallel to <paramref name="Steps"/>.</param>
public sealed record MetricSeries(int? StageIndex, string Name, IReadOnlyList<long> Steps, IReadOnlyList<double> Values);

/// <summary>A metric series summarised for <c>runs show</c>.</summary>
/// <param name="StageIndex">The stage (null: run-level).</param>
/// <param name="Name">The metric name.</param>
/// <param name="Points">How many values were logged.</param>
/// <param name="LastStep">The largest step.</param>
/// <param name="Last">The value at the largest step (the last logged one on ties).</param>
/// <param name="Min">Smallest value, ignoring NaN (NaN if every value is NaN).</param>
/// <param name="Max">Largest value, ignoring NaN (NaN if every value is NaN).</param>
public sealed record MetricSummary(int? StageIndex, string Name, long Points, long LastStep, double Last, double Min, double Max);

/// <summary>
/// One feedback record to store: a preference, rating, critique or correction with its provenance.
/// The record's content goes in <paramref name="PayloadJson"/> (the store does not interpret it beyond checking it is JSON).
/// </summary>
/// <param name="Source">The feedback source's component name (<c>simulated-human</c>, <c>debate-judge</c>, ...).</param>
/// <param name="Annotator">Which annotator within the source (a simulated persona, a human's id); null if none.</param>
/// <param name="Kind">The record kind (<c>pairwise</c>, <c>rating</c>, <c>critique</c>, <c>correction</c>).</param>
/// <param name="PayloadJson">The record itself, as JSON.</param>
/// <param name="Cost">What the label cost in the source's unit (labels, tokens, dollars).</param>
/// <param name="Latency">How long the label took to produce; null if unknown.</param>
/// <param name="Confidence">The source's confidence in [0, 1]; null if it gives none.</param>
public sealed record FeedbackEntry(
    string Source, string? Annotator, string Kind, string PayloadJson, double Cost, TimeSpan? Latency, double? Confidence)
{
    /// <summary>The stage the record was collected in (set by the store from the recorder's current stage).</summary>
    public int? StageIndex { get; init; }
}

/// <summary>One oversight transcript (a debate, a critique and revision) as JSON.</summary>
/// <param name="Method">The oversight method's component name.</param>
/// <param name="PayloadJson">The transcript as JSON.</param>
public sealed record TranscriptEntry(string Method, string PayloadJson)
{
    /// <summary>The stage it was produced in (set by the store from the recorder's current stage).</summary>
    public int? StageIndex { get; init; }
}

/// <summary>One file a run wrote under its folder <c>runs/&lt;run-id&gt;/</c>.</summary>
/// <param name="StageIndex">The stage that wrote it (null: run-level, such as the report).</param>
/// <param name="Name">A logical name (<c>policy</c>, <c>reward-model</c>, <c>report</c>).</param>
/// <param name="Kind">What it is (<c>checkpoint</c>, <c>dataset</c>, <c>report</c>, ...).</param>
/// <param name="RelativePath">Its path relative to the run folder, with '/' separators.</param>
/// <param name="Bytes">Its size when indexed.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of its content when indexed.</param>
public sealed record ArtifactEntry(int? StageIndex, string Name, string Kind, string RelativePath, long Bytes, string Sha256);

/// <summary>A compare (arms x seeds) as stored; its arms are runs whose <see cref="RunInfo.CompareId"/> is its id.</summary>
/// <param name="Id">The compare's sortable unique id.</param>
/// <param name="Name">Its human name.</param>
/// <param name="ManifestJson">The compare manifest as run.</param>
/// <param name="ManifestSha256">SHA-256 of the manifest text.</param>
/// <param name="Status">Its state.</param>
/// <param name="StartedUtc">When it began.</param>
/// <param name="EndedUtc">When it ended.</param>
public sealed record CompareInfo(
    string Id, string Name, string ManifestJson, string ManifestSha256, RunStatus Status, DateTimeOffset StartedUtc, DateTimeOffset? EndedUtc);

/// <summary>How many feedback records a run holds per stage, source and kind, and what they cost.</summary>
/// <param name="StageIndex">The stage (null: run-level).</param>
/// <param name="Source">The feedback source.</param>
/// <param name="Kind">The record kind.</param>
/// <param name="Records">How many records.</param>
/// <param name="TotalCost">The sum of their costs.</param>
public sealed record FeedbackCount(int? StageIndex, string Source, string Kind, long Records, double TotalCost);

/// <summary>How many transcripts a run holds per stage and oversight method.</summary>
/// <param name="StageIndex">The stage (null: run-level).</param>
/// <param name="Method">The oversight method.</param>
/// <param name="Transcripts">How many transcripts.</param>
public sealed record TranscriptCount(int? StageIndex, string Method, long Transcripts);
