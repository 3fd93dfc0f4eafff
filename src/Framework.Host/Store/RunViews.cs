using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AlignFx.Host.Store;

/// <summary>The formats <see cref="RunViews.Export"/> writes.</summary>
public enum ExportFormat
{
    /// <summary>RFC 4180 CSV, one row per metric value: <c>run_id,stage,name,step,value</c>.</summary>
    Csv,
    /// <summary>JSON: the run, its stages and every metric series as parallel step and value arrays.</summary>
    Json,
}

/// <summary>One row of <c>alignfx runs list</c>.</summary>
/// <param name="Id">The run id.</param>
/// <param name="Name">The run name (with <c>[arm]</c> appended for a compare arm).</param>
/// <param name="Status">The run status.</param>
/// <param name="Seed">The run seed.</param>
/// <param name="StartedUtc">When it started.</param>
/// <param name="Duration">How long it ran (so far, for a running run); null when unknown (incomplete).</param>
/// <param name="StagesDone">Stages completed.</param>
/// <param name="StagesTotal">Stages planned or recorded.</param>
public sealed record RunListRow(
    string Id, string Name, RunStatus Status, long Seed, DateTimeOffset StartedUtc, TimeSpan? Duration, int StagesDone, int StagesTotal);

/// <summary>One stage in <c>alignfx runs show</c>.</summary>
/// <param name="Stage">The stage as stored.</param>
/// <param name="Duration">How long it ran (so far, if running); null when unknown.</param>
public sealed record StageRow(StageInfo Stage, TimeSpan? Duration);

/// <summary>Everything <c>alignfx runs show</c> prints, for renderers other than plain text.</summary>
/// <param name="Run">The run.</param>
/// <param name="Duration">How long it ran; null when unknown.</param>
/// <param name="Stages">Its stages.</param>
/// <param name="Metrics">One summary per stage and metric name.</param>
/// <param name="Feedback">Feedback record counts per stage, source and kind.</param>
/// <param name="Transcripts">Transcript counts per stage and method.</param>
/// <param name="Artifacts">Indexed files.</param>
public sealed record RunShowView(
    RunInfo Run,
    TimeSpan? Duration,
    IReadOnlyList<StageRow> Stages,
    IReadOnlyList<MetricSummary> Metrics,
    IReadOnlyList<FeedbackCount> Feedback,
    IReadOnlyList<TranscriptCount> Transcripts,
    IReadOnlyList<ArtifactEntry> Artifacts);

/// <summary>
/// The <c>alignfx runs</c> views: the data rows (for any renderer) and plain-text writers. Run ids may be given as
/// a unique prefix; an unknown or ambiguous one raises <see cref="RunStoreException"/> with a printable message.
/// </summary>
public static class RunViews
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The rows of <c>runs list</c>, newest first.</summary>
    public static IReadOnlyList<RunListRow> ListRows(RunStore store, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var now = store.Now;
        return store.ListRuns(limit)
            .Select(run => new RunListRow(
                run.Id, run.Arm is null ? run.Name : $"{run.Name} [{run.Arm}]", run.Status, run.Seed, run.StartedUtc,
                Duration(run.Status, run.StartedUtc, run.EndedUtc, now), run.StagesCompleted, run.StagesTotal))
            .ToList();
    }

    /// <summary>Writes <c>runs list</c> as a plain-text table.</summary>
    public static void WriteRunList(RunStore store, TextWriter output, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        var rows = ListRows(store, limit);
        if (rows.Count == 0)
        {
            output.Write($"No runs yet in {store.DatabasePath}.\n");
            return;
        }
        TextTable.Write(output, "",
            ["ID", "NAME", "STATUS", "SEED", "STARTED (UTC)", "DURATION", "STAGES"],
            rows.Select(r => new[]
            {
                r.Id, r.Name, r.Status.ToText(), r.Seed.ToString(Invariant), FormatTime(r.StartedUtc),
                FormatDuration(r.Duration), $"{r.StagesDone}/{r.StagesTotal}",
            }).ToList(),
            new HashSet<int> { 3, 5, 6 });
    }

    /// <summary>The data of <c>runs show</c>.</summary>
    public static RunShowView Show(RunStore store, string idOrPrefix)
    {
        ArgumentNullException.ThrowIfNull(store);
        var id = store.ResolveRunId(idOrPrefix);
        var details = store.GetRun(id) ?? throw new RunStoreException($"No run has the id '{id}'.");
        var now = store.Now;
        var run = details.Run;
        return new RunShowView(
            run,
            Duration(run.Status, run.StartedUtc, run.EndedUtc, now),
            details.Stages.Select(s => new StageRow(s, Duration(s.Status, s.StartedUtc, s.EndedUtc, now))).ToList(),
            store.GetMetricSummaries(id),
            store.GetFeedbackCounts(id),
            store.GetTranscriptCounts(id),
            store.GetArtifacts(id));
    }

    /// <summary>Writes <c>runs show</c> as plain text: a header, then stages, metrics, feedback, transcripts, artifacts.</summary>
    public static void WriteRunShow(RunStore store, string idOrPrefix, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var view = Show(store, idOrPrefix);
        var run = view.Run;
        var header = new List<(string, string)>
        {
            ("Run", run.Id),
            ("Name", run.Name),
            ("Kind", run.Kind.ToText()),
        };
        if (run.CompareId is not null)
            header.Add(("Compare", $"{run.CompareId}, arm {run.Arm}"));
        header.Add(("Status", run.Status.ToText()));
        header.Add(("Seed", run.Seed.ToString(Invariant)));
        header.Add(("Started", FormatTime(run.StartedUtc) + " UTC"));
        header.Add(("Ended", run.EndedUtc is { } ended ? FormatTime(ended) + " UTC" : "-"));
        header.Add(("Duration", FormatDuration(view.Duration)));
        header.Add(("Stages", $"{run.StagesCompleted}/{run.StagesTotal} completed"));
        header.Add(("Manifest", "sha256 " + run.ManifestSha256));
        header.Add(("Process", $"{run.ProcessId.ToString(Invariant)} on {run.Host}"));
        if (run.Error is not null)
            header.Add(("Error", FirstLine(run.Error)));
        var width = header.Max(h => h.Item1.Length) + 2;
        foreach (var (label, value) in header)
            output.Write($"{label.PadRight(width)}{value}\n");

        Section(output, "Stages", view.Stages.Count, () =>
        {
            TextTable.Write(output, "  ",
                ["#", "ID", "NAME", "STATUS", "STARTED", "DURATION"],
                view.Stages.Select(s => new[]
                {
                    s.Stage.Index.ToString(Invariant), s.Stage.StageId, s.Stage.Name,
                    s.Stage.Cached ? s.Stage.Status.ToText() + " (cached)" : s.Stage.Status.ToText(),
                    s.Stage.StartedUtc.UtcDateTime.ToString("HH:mm:ss", Invariant), FormatDuration(s.Duration),
                }).ToList(),
                new HashSet<int> { 0, 5 });
            foreach (var s in view.Stages.Where(s => s.Stage.Error is not null))
                output.Write($"  stage {s.Stage.Index.ToString(Invariant)} error: {FirstLine(s.Stage.Error!)}\n");
        });

        Section(output, "Metrics", view.Metrics.Count, () => TextTable.Write(output, "  ",
            ["STAGE", "NAME", "POINTS", "LAST STEP", "LAST", "MIN", "MAX"],
            view.Metrics.Select(m => new[]
            {
                FormatStage(m.StageIndex), m.Name, m.Points.ToString(Invariant), m.LastStep.ToString(Invariant),
                FormatNumber(m.Last), FormatNumber(m.Min), FormatNumber(m.Max),
            }).ToList(),
            new HashSet<int> { 0, 2, 3, 4, 5, 6 }));

        Section(output, "Feedback", view.Feedback.Count, () => TextTable.Write(output, "  ",
            ["STAGE", "SOURCE", "KIND", "RECORDS", "COST"],
            view.Feedback.Select(f => new[]
            {
                FormatStage(f.StageIndex), f.Source, f.Kind, f.Records.ToString(Invariant), FormatNumber(f.TotalCost),
            }).ToList(),
            new HashSet<int> { 0, 3, 4 }));

        Section(output, "Transcripts", view.Transcripts.Count, () => TextTable.Write(output, "  ",
            ["STAGE", "METHOD", "TRANSCRIPTS"],
            view.Transcripts.Select(t => new[] { FormatStage(t.StageIndex), t.Method, t.Transcripts.ToString(Invariant) }).ToList(),
            new HashSet<int> { 0, 2 }));

        // Chat models' usage, shown only for runs that used one (Chat/ChatStore.cs keeps these rows).
        IReadOnlyList<Chat.ChatUsageSummary> chat = Chat.ChatStore.Summarise(store, view.Run.Id);
        if (chat.Count > 0)
        {
            Section(output, "Chat models", chat.Count, () => TextTable.Write(output, "  ",
                ["STAGE", "MODEL", "CALLS", "CACHED", "INPUT TOKENS", "OUTPUT TOKENS"],
                chat.Select(c => new[]
                {
                    FormatStage(c.StageIndex), c.Model, c.Calls.ToString(Invariant), c.Cached.ToString(Invariant),
                    c.InputTokens.ToString(Invariant), c.OutputTokens.ToString(Invariant),
                }).ToList(),
                new HashSet<int> { 0, 2, 3, 4, 5 }));
        }

        Section(output, "Artifacts", view.Artifacts.Count, () => TextTable.Write(output, "  ",
            ["STAGE", "NAME", "KIND", "SIZE", "SHA256", "PATH"],
            view.Artifacts.Select(a => new[]
            {
                FormatStage(a.StageIndex), a.Name, a.Kind, FormatBytes(a.Bytes), a.Sha256[..12], a.RelativePath,
            }).ToList(),
            new HashSet<int> { 0, 3 }));
    }

    /// <summary>Writes a run's metric values in <paramref name="format"/> (see <see cref="ExportCsv"/> and <see cref="ExportJson"/>).</summary>
    public static void Export(RunStore store, string idOrPrefix, ExportFormat format, TextWriter output)
    {
        switch (format)
        {
            case ExportFormat.Csv:
                ExportCsv(store, idOrPrefix, output);
                break;
            case ExportFormat.Json:
                ExportJson(store, idOrPrefix, output);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, null);
        }
    }

    /// <summary>
    /// Writes every metric value of a run as RFC 4180 CSV (CRLF line ends, fields quoted when they hold a comma,
    /// quote or line break): header <c>run_id,stage,name,step,value</c>; <c>stage</c> is the stage index, empty for
    /// run-level values; values in shortest round-trip form, with <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>.
    /// Rows are ordered by stage (run-level last), name, step.
    /// </summary>
    public static void ExportCsv(RunStore store, string idOrPrefix, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(output);
        var id = store.ResolveRunId(idOrPrefix);
        output.Write("run_id,stage,name,step,value\r\n");
        var quotedId = CsvField(id);
        string? lastName = null, quotedName = null;
        store.ReadMetrics(id, null, (stage, name, step, value) =>
        {
            if (!ReferenceEquals(name, lastName) && name != lastName)
                (lastName, quotedName) = (name, CsvField(name));
            output.Write(quotedId);
            output.Write(',');
            if (stage is { } s)
                output.Write(s.ToString(Invariant));
            output.Write(',');
            output.Write(quotedName);
            output.Write(',');
            output.Write(step.ToString(Invariant));
            output.Write(',');
            output.Write(value.ToString("R", Invariant));
            output.Write("\r\n");
        });
    }

    /// <summary>
    /// Writes a run as indented JSON: <c>run</c> (its fields and manifest text), <c>stages</c>, and <c>series</c>, one
    /// object per stage and metric name with parallel <c>steps</c> and <c>values</c> arrays. Times are ISO 8601 UTC;
    /// non-finite values are written as the strings <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>.
    /// </summary>
    public static void ExportJson(RunStore store, string idOrPrefix, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(output);
        var id = store.ResolveRunId(idOrPrefix);
        var details = store.GetRun(id) ?? throw new RunStoreException($"No run has the id '{id}'.");
        var series = store.GetMetrics(id);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            var run = details.Run;
            json.WriteStartObject();
            json.WriteStartObject("run");
            json.WriteString("id", run.Id);
            json.WriteString("name", run.Name);
            json.WriteString("kind", run.Kind.ToText());
            WriteStringOrNull(json, "compareId", run.CompareId);
            WriteStringOrNull(json, "arm", run.Arm);
            json.WriteNumber("seed", run.Seed);
            json.WriteString("status", run.Status.ToText());
            WriteStringOrNull(json, "error", run.Error);
            json.WriteString("startedUtc", StoreTime.ToText(run.StartedUtc));
            WriteStringOrNull(json, "endedUtc", run.EndedUtc is { } ended ? StoreTime.ToText(ended) : null);
            json.WriteNumber("stagesCompleted", run.StagesCompleted);
            json.WriteNumber("stagesTotal", run.StagesTotal);
            json.WriteNumber("pid", run.ProcessId);
            json.WriteString("host", run.Host);
            json.WriteString("manifestSha256", run.ManifestSha256);
            json.WriteString("manifest", run.ManifestJson);
            json.WriteEndObject();

            json.WriteStartArray("stages");
            foreach (var stage in details.Stages)
            {
                json.WriteStartObject();
                json.WriteNumber("index", stage.Index);
                json.WriteString("id", stage.StageId);
                json.WriteString("name", stage.Name);
                json.WriteString("status", stage.Status.ToText());
                json.WriteBoolean("cached", stage.Cached);
                WriteStringOrNull(json, "error", stage.Error);
                json.WriteString("startedUtc", StoreTime.ToText(stage.StartedUtc));
                WriteStringOrNull(json, "endedUtc", stage.EndedUtc is { } e ? StoreTime.ToText(e) : null);
                json.WriteEndObject();
            }
            json.WriteEndArray();

            json.WriteStartArray("series");
            foreach (var s in series)
            {
                json.WriteStartObject();
                if (s.StageIndex is { } index)
                    json.WriteNumber("stage", index);
                else
                    json.WriteNull("stage");
                json.WriteString("name", s.Name);
                json.WriteStartArray("steps");
                foreach (var step in s.Steps)
                    json.WriteNumberValue(step);
                json.WriteEndArray();
                json.WriteStartArray("values");
                foreach (var value in s.Values)
                {
                    if (double.IsFinite(value))
                        json.WriteNumberValue(value);
                    else
                        json.WriteStringValue(value.ToString(Invariant));
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        output.Write('\n');
    }

    /// <summary>A duration as the views print it: <c>12.3s</c>, <c>4m05s</c>, <c>2h03m04s</c>, <c>1d02h03m</c>; <c>-</c> when unknown.</summary>
    public static string FormatDuration(TimeSpan? duration)
    {
        if (duration is not { } d)
            return "-";
        if (d < TimeSpan.Zero)
            d = TimeSpan.Zero;
        if (d.TotalSeconds < 60)
            return d.TotalSeconds.ToString("0.0", Invariant) + "s";
        if (d.TotalMinutes < 60)
            return string.Create(Invariant, $"{(int)d.TotalMinutes}m{d.Seconds:00}s");
        if (d.TotalHours < 24)
            return string.Create(Invariant, $"{(int)d.TotalHours}h{d.Minutes:00}m{d.Seconds:00}s");
        return string.Create(Invariant, $"{(int)d.TotalDays}d{d.Hours:00}h{d.Minutes:00}m");
    }

    private static TimeSpan? Duration(RunStatus status, DateTimeOffset started, DateTimeOffset? ended, DateTimeOffset now) =>
        ended is { } e ? e - started : status == RunStatus.Running ? now - started : null;

    private static void Section(TextWriter output, string title, int count, Action writeBody)
    {
        output.Write('\n');
        output.Write(title);
        output.Write('\n');
        if (count == 0)
            output.Write("  (none)\n");
        else
            writeBody();
    }

    private static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", Invariant);

    private static string FormatStage(int? stage) => stage is { } s ? s.ToString(Invariant) : "-";

    private static string FormatNumber(double value) => value.ToString("G6", Invariant);

    private static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(Invariant) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", Invariant) + " KiB",
        < 1024L * 1024 * 1024 => (bytes / (1024.0 * 1024)).ToString("0.0", Invariant) + " MiB",
        _ => (bytes / (1024.0 * 1024 * 1024)).ToString("0.0", Invariant) + " GiB",
    };

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end] + " ...";
    }

    private static void WriteStringOrNull(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
            json.WriteNull(name);
        else
            json.WriteString(name, value);
    }

    /// <summary>An RFC 4180 field: quoted (with inner quotes doubled) when it holds a comma, quote or line break.</summary>
    internal static string CsvField(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
