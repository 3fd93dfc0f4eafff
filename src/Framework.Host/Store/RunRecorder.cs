using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace AlignFx.Host.Store;

/// <summary>
/// Writes one run: its stages in order, metric values (buffered), feedback records, transcripts and artifacts, and
/// finally its outcome. Get one from <see cref="RunStore.BeginRun"/>.
/// </summary>
/// <remarks>
/// Thread-safe: the runner's thread and one training loop logging metrics may call it at the same time (calls are
/// serialised by the store's lock). Metric values are buffered and written in one transaction with a prepared
/// command when <see cref="RunStoreOptions.MetricFlushRows"/> are waiting, every
/// <see cref="RunStoreOptions.MetricFlushInterval"/>, at <see cref="EndStage"/>, on <see cref="Flush"/> and at
/// <see cref="End"/>. Disposing a recorder that was not ended ends the run as <see cref="RunStatus.Incomplete"/>.
/// </remarks>
public sealed class RunRecorder : IDisposable
{
    private readonly RunStore store;
    private readonly List<(int? Stage, string Name, long Step, double Value)> buffer = [];
    private readonly Dictionary<(int? Stage, string Name), long> seriesIds = [];
    private readonly ITimer flushTimer;
    private SqliteCommand? insertPoint;
    private int? currentStage;
    private int nextStageIndex;
    private Exception? backgroundError;
    private bool ended;

    internal RunRecorder(RunStore store, string runId, string folder)
    {
        this.store = store;
        RunId = runId;
        Folder = folder;
        var interval = store.Options.MetricFlushInterval;
        flushTimer = store.Options.Clock.CreateTimer(_ => FlushFromTimer(), null, interval, interval);
    }

    /// <summary>The run's id.</summary>
    public string RunId { get; }

    /// <summary>The run's folder, <c>runs/&lt;run-id&gt;/</c>; files indexed with <see cref="AddArtifact"/> live under it.</summary>
    public string Folder { get; }

    /// <summary>The index of the stage now running, or null between stages.</summary>
    public int? CurrentStage
    {
        get
        {
            lock (store.Gate)
                return currentStage;
        }
    }

    /// <summary>Whether <see cref="End"/> has been called.</summary>
    public bool IsEnded
    {
        get
        {
            lock (store.Gate)
                return ended;
        }
    }

    /// <summary>Starts the next stage (indexes count from 0 in the order stages begin) and returns its index.</summary>
    /// <param name="name">The stage kind's name (<c>pretrain</c>, <c>optimise</c>, ...).</param>
    /// <param name="stageId">The stage's id in the manifest; defaults to <paramref name="name"/>.</param>
    public int BeginStage(string name, string? stageId = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        lock (store.Gate)
        {
            ThrowIfUnusable();
            if (currentStage is { } running)
                throw new InvalidOperationException($"Stage {running} of run {RunId} is still running; end it before beginning another.");
            FlushLocked(); // run-level values logged before the stage stay run-level
            var index = nextStageIndex;
            using var command = store.Command("""
                INSERT INTO stages (run_id, stage_index, name, stage_id, status, started_utc)
                VALUES ($run, $index, $name, $stageId, 'running', $started);
                """);
            RunStore.Bind(command, "$run", RunId);
            RunStore.Bind(command, "$index", index);
            RunStore.Bind(command, "$name", name);
            RunStore.Bind(command, "$stageId", stageId ?? name);
            RunStore.Bind(command, "$started", StoreTime.ToText(store.Now));
            command.ExecuteNonQuery();
            nextStageIndex++;
            currentStage = index;
            return index;
        }
    }

    /// <summary>Records the running stage's stage-cache key and whether it was restored from the cache.</summary>
    /// <param name="key">The stage's cache key.</param>
    /// <param name="cached">True when restored from the cache instead of run.</param>
    public void SetStageCache(string key, bool cached)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        lock (store.Gate)
        {
            ThrowIfUnusable();
            if (currentStage is not { } index)
                throw new InvalidOperationException($"Run {RunId} has no stage running.");
            using var command = store.Command("UPDATE stages SET cache_key = $key, cached = $cached WHERE run_id = $run AND stage_index = $index;");
            RunStore.Bind(command, "$key", key);
            RunStore.Bind(command, "$cached", cached ? 1 : 0);
            RunStore.Bind(command, "$run", RunId);
            RunStore.Bind(command, "$index", index);
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Flushes the stage's metric values and records how the stage ended.</summary>
    public void EndStage(RunStatus status = RunStatus.Completed, string? error = null)
    {
        if (status == RunStatus.Running)
            throw new ArgumentException("A stage ends with a final status.", nameof(status));
        lock (store.Gate)
        {
            ThrowIfUnusable();
            if (currentStage is null)
                throw new InvalidOperationException($"Run {RunId} has no stage running.");
            FlushLocked();
            EndStageLocked(status, error);
        }
    }

    /// <summary>Logs one metric value in the current stage (or at run level between stages). Buffered.</summary>
    /// <param name="name">The metric's name, such as <c>objective/kl</c> or <c>gold/reward</c>.</param>
    /// <param name="step">Its x coordinate (optimisation step, epoch, labels used).</param>
    /// <param name="value">The value; NaN and infinities are kept.</param>
    public void LogMetric(string name, long step, double value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        lock (store.Gate)
        {
            ThrowIfUnusable();
            buffer.Add((currentStage, name, step, value));
            if (buffer.Count >= store.Options.MetricFlushRows)
                FlushLocked();
        }
    }

    /// <summary>Writes every buffered metric value now.</summary>
    public void Flush()
    {
        lock (store.Gate)
        {
            ThrowIfUnusable();
            FlushLocked();
        }
    }

    /// <summary>Stores feedback records (in one transaction), tagged with the current stage.</summary>
    public void AddFeedback(IEnumerable<FeedbackEntry> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        lock (store.Gate)
        {
            ThrowIfUnusable();
            using var transaction = store.Connection.BeginTransaction(deferred: false);
            using var command = store.Command("""
                INSERT INTO feedback (run_id, stage_index, source, annotator, kind, payload_json, cost, latency_ms, confidence)
                VALUES ($run, $stage, $source, $annotator, $kind, $payload, $cost, $latency, $confidence);
                """, transaction);
            var parameters = new[] { "$source", "$annotator", "$kind", "$payload", "$cost", "$latency", "$confidence" }
                .Select(name => command.Parameters.Add(new SqliteParameter(name, DBNull.Value))).ToArray();
            RunStore.Bind(command, "$run", RunId);
            RunStore.Bind(command, "$stage", currentStage);
            foreach (var record in records)
            {
                parameters[0].Value = record.Source;
                parameters[1].Value = (object?)record.Annotator ?? DBNull.Value;
                parameters[2].Value = record.Kind;
                parameters[3].Value = record.PayloadJson;
                parameters[4].Value = record.Cost;
                parameters[5].Value = record.Latency is { } latency ? latency.TotalMilliseconds : DBNull.Value;
                parameters[6].Value = record.Confidence is { } confidence ? confidence : DBNull.Value;
                command.ExecuteNonQuery();
            }
            transaction.Commit();
        }
    }

    /// <summary>Stores one feedback record, tagged with the current stage.</summary>
    public void AddFeedback(FeedbackEntry record) => AddFeedback([record]);

    /// <summary>Stores oversight transcripts (in one transaction), tagged with the current stage.</summary>
    public void AddTranscripts(IEnumerable<TranscriptEntry> transcripts)
    {
        ArgumentNullException.ThrowIfNull(transcripts);
        lock (store.Gate)
        {
            ThrowIfUnusable();
            using var transaction = store.Connection.BeginTransaction(deferred: false);
            using var command = store.Command("""
                INSERT INTO transcripts (run_id, stage_index, method, payload_json) VALUES ($run, $stage, $method, $payload);
                """, transaction);
            var method = command.Parameters.Add(new SqliteParameter("$method", DBNull.Value));
            var payload = command.Parameters.Add(new SqliteParameter("$payload", DBNull.Value));
            RunStore.Bind(command, "$run", RunId);
            RunStore.Bind(command, "$stage", currentStage);
            foreach (var transcript in transcripts)
            {
                method.Value = transcript.Method;
                payload.Value = transcript.PayloadJson;
                command.ExecuteNonQuery();
            }
            transaction.Commit();
        }
    }

    /// <summary>Stores one oversight transcript, tagged with the current stage.</summary>
    public void AddTranscript(TranscriptEntry transcript)
    {
        ArgumentNullException.ThrowIfNull(transcript);
        AddTranscripts([transcript]);
    }

    /// <summary>
    /// The full path of a file under the run folder, with its parent folders created; refuses paths that leave
    /// the folder.
    /// </summary>
    /// <param name="relativePath">A path relative to <see cref="Folder"/>, such as <c>stage-2/policy.safetensors</c>.</param>
    public string GetPath(string relativePath)
    {
        var full = ResolveUnderFolder(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return full;
    }

    /// <summary>
    /// Indexes a file the run wrote under its folder: its size and SHA-256 are recorded with the current stage.
    /// Indexing the same path again replaces the entry (a file rewritten later in the run).
    /// </summary>
    /// <param name="name">A logical name (<c>policy</c>, <c>report</c>).</param>
    /// <param name="kind">What it is (<c>checkpoint</c>, <c>dataset</c>, <c>report</c>).</param>
    /// <param name="relativePath">The file's path relative to <see cref="Folder"/>.</param>
    public ArtifactEntry AddArtifact(string name, string kind, string relativePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        var full = ResolveUnderFolder(relativePath);
        var stored = Path.GetRelativePath(Folder, full).Replace(Path.DirectorySeparatorChar, '/');
        string sha;
        long bytes;
        using (var file = File.OpenRead(full)) // hash outside the lock: checkpoints can be large
        {
            bytes = file.Length;
            sha = Convert.ToHexStringLower(SHA256.HashData(file));
        }
        lock (store.Gate)
        {
            ThrowIfUnusable();
            using var command = store.Command("""
                INSERT INTO artifacts (run_id, stage_index, name, kind, relative_path, bytes, sha256)
                VALUES ($run, $stage, $name, $kind, $path, $bytes, $sha)
                ON CONFLICT (run_id, relative_path) DO UPDATE SET
                    stage_index = excluded.stage_index, name = excluded.name, kind = excluded.kind,
                    bytes = excluded.bytes, sha256 = excluded.sha256;
                """);
            RunStore.Bind(command, "$run", RunId);
            RunStore.Bind(command, "$stage", currentStage);
            RunStore.Bind(command, "$name", name);
            RunStore.Bind(command, "$kind", kind);
            RunStore.Bind(command, "$path", stored);
            RunStore.Bind(command, "$bytes", bytes);
            RunStore.Bind(command, "$sha", sha);
            command.ExecuteNonQuery();
            return new ArtifactEntry(currentStage, name, kind, stored, bytes, sha);
        }
    }

    /// <summary>
    /// Flushes metric values and records the run's outcome. A stage still running ends with the same status (a
    /// cancelled run's stage is cancelled, a failed run's stage failed, with the error).
    /// </summary>
    public void End(RunStatus status, string? error = null)
    {
        if (status == RunStatus.Running)
            throw new ArgumentException("A run ends with a final status.", nameof(status));
        lock (store.Gate)
        {
            ThrowIfUnusable();
            try
            {
                FlushLocked();
                if (currentStage is not null)
                    EndStageLocked(status, error);
                using var command = store.Command("UPDATE runs SET status = $status, error = $error, ended_utc = $ended WHERE id = $run;");
                RunStore.Bind(command, "$status", status.ToText());
                RunStore.Bind(command, "$error", error);
                RunStore.Bind(command, "$ended", StoreTime.ToText(store.Now));
                RunStore.Bind(command, "$run", RunId);
                command.ExecuteNonQuery();
            }
            finally
            {
                Close();
            }
        }
    }

    /// <summary>Ends the run as <see cref="RunStatus.Incomplete"/> if nobody ended it.</summary>
    public void Dispose()
    {
        lock (store.Gate)
        {
            if (ended)
                return;
            var reason = backgroundError is { } error
                ? $"Writing metric values in the background failed: {error.Message}"
                : "The run was not ended before its recorder was closed.";
            backgroundError = null;
            End(RunStatus.Incomplete, reason);
        }
    }

    private void FlushFromTimer()
    {
        lock (store.Gate)
        {
            if (ended || backgroundError is not null || buffer.Count == 0)
                return;
            try
            {
                FlushLocked();
            }
            catch (Exception e)
            {
                backgroundError = e; // surfaced by the next call from the run's own threads
            }
        }
    }

    private void FlushLocked()
    {
        if (buffer.Count == 0)
            return;
        using var transaction = store.Connection.BeginTransaction(deferred: false);
        try
        {
            insertPoint ??= PrepareInsertPoint();
            insertPoint.Transaction = transaction;
            var (series, step, value) = (insertPoint.Parameters[0], insertPoint.Parameters[1], insertPoint.Parameters[2]);
            foreach (var point in buffer)
            {
                series.Value = SeriesId(point.Stage, point.Name, transaction);
                step.Value = point.Step;
                value.Value = double.IsNaN(point.Value) ? DBNull.Value : point.Value;
                insertPoint.ExecuteNonQuery();
            }
            transaction.Commit();
            buffer.Clear();
        }
        catch
        {
            seriesIds.Clear(); // ids made in the rolled-back transaction no longer exist
            throw;
        }
    }

    private SqliteCommand PrepareInsertPoint()
    {
        var command = store.Command("INSERT INTO metric_points (series_id, step, value) VALUES ($series, $step, $value);");
        command.Parameters.Add(new SqliteParameter("$series", SqliteType.Integer));
        command.Parameters.Add(new SqliteParameter("$step", SqliteType.Integer));
        command.Parameters.Add(new SqliteParameter("$value", SqliteType.Real));
        return command;
    }

    private long SeriesId(int? stage, string name, SqliteTransaction transaction)
    {
        if (seriesIds.TryGetValue((stage, name), out var id))
            return id;
        using var command = store.Command("""
            SELECT id FROM metric_series WHERE run_id = $run AND stage_index IS $stage AND name = $name;
            """, transaction);
        RunStore.Bind(command, "$run", RunId);
        RunStore.Bind(command, "$stage", stage);
        RunStore.Bind(command, "$name", name);
        var existing = command.ExecuteScalar();
        if (existing is long found)
            id = found;
        else
        {
            command.CommandText = "INSERT INTO metric_series (run_id, stage_index, name) VALUES ($run, $stage, $name) RETURNING id;";
            id = (long)command.ExecuteScalar()!;
        }
        seriesIds[(stage, name)] = id;
        return id;
    }

    private void EndStageLocked(RunStatus status, string? error)
    {
        using var command = store.Command("""
            UPDATE stages SET status = $status, error = $error, ended_utc = $ended WHERE run_id = $run AND stage_index = $index;
            """);
        RunStore.Bind(command, "$status", status.ToText());
        RunStore.Bind(command, "$error", error);
        RunStore.Bind(command, "$ended", StoreTime.ToText(store.Now));
        RunStore.Bind(command, "$run", RunId);
        RunStore.Bind(command, "$index", currentStage);
        command.ExecuteNonQuery();
        currentStage = null;
    }

    private string ResolveUnderFolder(string relativePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(relativePath);
        var root = Path.GetFullPath(Folder) + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(Path.Combine(root, relativePath));
        if (!full.StartsWith(root, StringComparison.Ordinal) || full.Length == root.Length)
            throw new ArgumentException($"The artifact path '{relativePath}' must name a file inside the run folder '{Folder}'.", nameof(relativePath));
        return full;
    }

    private void Close()
    {
        ended = true;
        flushTimer.Dispose();
        insertPoint?.Dispose();
        insertPoint = null;
        store.Forget(this);
    }

    internal void Abandon()
    {
        buffer.Clear();
        Close();
    }

    private void ThrowIfUnusable()
    {
        store.ThrowIfDisposed();
        if (ended)
            throw new InvalidOperationException($"Run {RunId} has ended; nothing more can be recorded for it.");
        if (backgroundError is { } error)
        {
            backgroundError = null;
            throw new RunStoreException($"Writing metric values of run {RunId} in the background failed: {error.Message}", error);
        }
    }
}
