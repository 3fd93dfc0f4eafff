using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace AlignFx.Host.Store;

/// <summary>
/// The run store: one SQLite file (default <c>runs/alignfx.db</c>) holding runs, stages, metric series, feedback
/// records, transcripts and an index of the files each run writes under its folder <c>runs/&lt;run-id&gt;/</c>.
/// </summary>
/// <remarks>
/// <para>The database runs in WAL mode with <c>synchronous=NORMAL</c>: every committed transaction survives the
/// process being killed (an operating-system crash may lose the last few). Readers in other processes (the
/// <c>runs</c> commands) never block the writer.</para>
/// <para>Opening the store marks runs and compares left <c>running</c> by a process on this machine that no longer
/// exists as <see cref="RunStatus.Incomplete"/>, their running stage too. Their finished stages and every metric value
/// already flushed are kept, including values the dead stage flushed before it died; values still in the buffer
/// (at most <see cref="RunStoreOptions.MetricFlushRows"/> rows or <see cref="RunStoreOptions.MetricFlushInterval"/>
/// worth) are lost.</para>
/// <para>One instance is safe to share between threads (one connection behind a lock); write a run through the
/// <see cref="RunRecorder"/> that <see cref="BeginRun"/> returns.</para>
/// </remarks>
public sealed class RunStore : IDisposable
{
    private readonly SqliteConnection connection;
    private readonly List<RunRecorder> liveRecorders = [];
    private bool disposed;

    private RunStore(SqliteConnection connection, string databasePath, RunStoreOptions options)
    {
        this.connection = connection;
        DatabasePath = databasePath;
        Options = options;
        Identity = options.ProcessOverride ?? ProcessIdentity.Current;
    }

    /// <summary>The database file's full path.</summary>
    public string DatabasePath { get; }

    /// <summary>The folder that holds the database and one folder per run.</summary>
    public string RunsDirectory => Path.GetDirectoryName(DatabasePath)!;

    /// <summary>Runs this open found abandoned by a dead process and marked <see cref="RunStatus.Incomplete"/>.</summary>
    public IReadOnlyList<string> RecoveredRunIds { get; private set; } = [];

    internal RunStoreOptions Options { get; }
    internal ProcessIdentity Identity { get; }
    internal Lock Gate { get; } = new();
    internal SqliteConnection Connection => connection;
    internal DateTimeOffset Now => Options.Clock.GetUtcNow();

    /// <summary>
    /// Opens the store at <paramref name="path"/> (default <see cref="RunStoreOptions.DefaultPath"/>, relative to the
    /// working directory), creating the file and its folder if needed, migrating an older schema forward and marking
    /// runs abandoned by dead processes incomplete.
    /// </summary>
    /// <exception cref="RunStoreException">The file was written by a newer alignfx.</exception>
    public static RunStore Open(string? path = null, RunStoreOptions? options = null)
    {
        options ??= new RunStoreOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MetricFlushRows, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.MetricFlushInterval, TimeSpan.Zero, nameof(options));
        var fullPath = Path.GetFullPath(path ?? RunStoreOptions.DefaultPath);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // closing the store closes the file
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
            ForeignKeys = true,
        }.ToString();
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            Execute(connection, $"""
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = NORMAL;
                PRAGMA busy_timeout = {(int)options.BusyTimeout.TotalMilliseconds};
                """);
            StoreSchema.Migrate(connection, fullPath);
            var store = new RunStore(connection, fullPath, options);
            store.RecoveredRunIds = store.MarkAbandonedRunsIncomplete();
            return store;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The folder a run writes its files to: <c>runs/&lt;run-id&gt;/</c> beside the database.</summary>
    public string GetRunFolder(string runId) => Path.Combine(RunsDirectory, runId);

    /// <summary>Records the start of a run and creates its folder; write the rest through the returned recorder.</summary>
    public RunRecorder BeginRun(NewRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentException.ThrowIfNullOrWhiteSpace(run.Name);
        if ((run.CompareId is null) != (run.Arm is null))
            throw new ArgumentException("A compare arm needs both CompareId and Arm; a pipeline run neither.", nameof(run));
        lock (Gate)
        {
            ThrowIfDisposed();
            var now = Now;
            var id = InsertWithNewId(now, id =>
            {
                using var command = Command("""
                    INSERT INTO runs (id, name, kind, compare_id, arm, seed, manifest_json, manifest_sha256, status,
                                      planned_stages, started_utc, pid, host, process_started_utc)
                    VALUES ($id, $name, $kind, $compare, $arm, $seed, $manifest, $sha, 'running',
                            $planned, $started, $pid, $host, $processStarted);
                    """);
                Bind(command, "$id", id);
                Bind(command, "$name", run.Name);
                Bind(command, "$kind", (run.CompareId is null ? RunKind.Pipeline : RunKind.CompareArm).ToText());
                Bind(command, "$compare", run.CompareId);
                Bind(command, "$arm", run.Arm);
                Bind(command, "$seed", run.Seed);
                Bind(command, "$manifest", run.ManifestJson);
                Bind(command, "$sha", Sha256Hex(run.ManifestJson));
                Bind(command, "$planned", run.PlannedStages);
                BindIdentity(command, now);
                command.ExecuteNonQuery();
            });
            var recorder = new RunRecorder(this, id, GetRunFolder(id));
            Directory.CreateDirectory(recorder.Folder);
            liveRecorders.Add(recorder);
            return recorder;
        }
    }

    /// <summary>Records the start of a compare; its arms are runs begun with <see cref="NewRun.CompareId"/> set to its id.</summary>
    public CompareInfo BeginCompare(string name, string manifestJson)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(manifestJson);
        lock (Gate)
        {
            ThrowIfDisposed();
            var now = Now;
            var sha = Sha256Hex(manifestJson);
            var id = InsertWithNewId(now, id =>
            {
                using var command = Command("""
                    INSERT INTO compares (id, name, manifest_json, manifest_sha256, status, started_utc, pid, host, process_started_utc)
                    VALUES ($id, $name, $manifest, $sha, 'running', $started, $pid, $host, $processStarted);
                    """);
                Bind(command, "$id", id);
                Bind(command, "$name", name);
                Bind(command, "$manifest", manifestJson);
                Bind(command, "$sha", sha);
                BindIdentity(command, now);
                command.ExecuteNonQuery();
            });
            return new CompareInfo(id, name, manifestJson, sha, RunStatus.Running, TruncateToMs(now), null);
        }
    }

    /// <summary>Records the end of a compare.</summary>
    public void EndCompare(string compareId, RunStatus status, string? error = null)
    {
        if (status == RunStatus.Running)
            throw new ArgumentException("A compare ends with a final status.", nameof(status));
        lock (Gate)
        {
            ThrowIfDisposed();
            using var command = Command("UPDATE compares SET status = $status, error = $error, ended_utc = $ended WHERE id = $id;");
            Bind(command, "$status", status.ToText());
            Bind(command, "$error", error);
            Bind(command, "$ended", StoreTime.ToText(Now));
            Bind(command, "$id", compareId);
            if (command.ExecuteNonQuery() != 1)
                throw new RunStoreException($"No compare has the id '{compareId}'.");
        }
    }

    /// <summary>Runs, newest first, at most <paramref name="limit"/> of them.</summary>
    public IReadOnlyList<RunInfo> ListRuns(int? limit = null)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            using var command = Command(RunSelect + " ORDER BY r.started_utc DESC, r.id DESC LIMIT $limit;");
            Bind(command, "$limit", limit ?? -1);
            return ReadRuns(command);
        }
    }

    /// <summary>The arm runs of one compare, in the order they started.</summary>
    public IReadOnlyList<RunInfo> ListCompareRuns(string compareId)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            using var command = Command(RunSelect + " WHERE r.compare_id = $compare ORDER BY r.started_utc, r.id;");
            Bind(command, "$compare", compareId);
            return ReadRuns(command);
        }
    }

    /// <summary>Compares, newest first.</summary>
    public IReadOnlyList<CompareInfo> ListCompares()
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            using var command = Command("""
                SELECT id, name, manifest_json, manifest_sha256, status, started_utc, ended_utc
                FROM compares ORDER BY started_utc DESC, id DESC;
                """);
            using var reader = command.ExecuteReader();
            var compares = new List<CompareInfo>();
            while (reader.Read())
            {
                compares.Add(new CompareInfo(
                    reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    StoreNames.ParseStatus(reader.GetString(4)), StoreTime.Parse(reader.GetString(5)),
                    StoreTime.ParseOrNull(reader.IsDBNull(6) ? null : reader.GetString(6))));
            }
            return compares;
        }
    }

    /// <summary>
    /// The full id of the run that <paramref name="idOrPrefix"/> names: the id itself or a prefix only one run has.
    /// </summary>
    /// <exception cref="RunStoreException">No run, or more than one, matches.</exception>
    public string ResolveRunId(string idOrPrefix)
    {
        ArgumentNullException.ThrowIfNull(idOrPrefix);
        var wanted = idOrPrefix.Trim();
        lock (Gate)
        {
            ThrowIfDisposed();
            using var command = Command("""
                SELECT id FROM runs WHERE id = $p
                UNION ALL
                SELECT id FROM (SELECT id FROM runs WHERE substr(id, 1, length($p)) = $p AND id <> $p ORDER BY id LIMIT 6)
                WHERE NOT EXISTS (SELECT 1 FROM runs WHERE id = $p);
                """);
            Bind(command, "$p", wanted);
            var matches = new List<string>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                    matches.Add(reader.GetString(0));
            }
            return matches.Count switch
            {
                1 => matches[0],
                0 => throw new RunStoreException($"No run has the id '{wanted}'; 'alignfx runs list' shows the runs in '{DatabasePath}'."),
                _ => throw new RunStoreException(
                    $"The id prefix '{wanted}' matches more than one run ({string.Join(", ", matches.Take(5))}{(matches.Count > 5 ? ", ..." : "")}); give more of the id."),
            };
        }
    }

    /// <summary>A run and its stages, or null if no run has exactly this id.</summary>
    public RunDetails? GetRun(string runId)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            using var command = Command(RunSelect + " WHERE r.id = $id;");
            Bind(command, "$id", runId);
            var runs = ReadRuns(command);
            if (runs.Count == 0)
                return null;
            using var stages = Command("""
                SELECT stage_index, name, stage_id, status, error, started_utc, ended_utc, cache_key, cached
                FROM stages WHERE run_id = $id ORDER BY stage_index;
                """);
            Bind(stages, "$id", runId);
            using var reader = stages.ExecuteReader();
            var list = new List<StageInfo>();
            while (reader.Read())
            {
                list.Add(new StageInfo(
                    reader.GetInt32(0), reader.GetString(1), reader.GetString(2), StoreNames.ParseStatus(reader.GetString(3)),
                    NullableString(reader, 4), StoreTime.Parse(reader.GetString(5)), StoreTime.ParseOrNull(NullableString(reader, 6)))
                {
                    CacheKey = NullableString(reader, 7),
                    Cached = reader.GetInt32(8) == 1,
                });
            }
            return new RunDetails(runs[0], list);
        }
    }

    /// <summary>
    /// Every value logged under <paramref name="name"/> in a run, across its stages: by stage (run-level last), then
    /// step, then logging order.
    /// </summary>
    public IReadOnlyList<MetricPoint> GetMetricSeries(string runId, string name)
    {
        var points = new List<MetricPoint>();
        ReadMetrics(runId, name, (stage, _, step, value) => points.Add(new MetricPoint(stage, step, value)));
        return points;
    }

    /// <summary>All metric series of a run, ordered by stage (run-level last), then name.</summary>
    public IReadOnlyList<MetricSeries> GetMetrics(string runId)
    {
        var series = new List<MetricSeries>();
        List<long>? steps = null;
        List<double>? values = null;
        (int? Stage, string Name)? current = null;
        ReadMetrics(runId, null, (stage, name, step, value) =>
        {
            if (current is not { } c || c.Stage != stage || c.Name != name)
            {
                current = (stage, name);
                steps = [];
                values = [];
                series.Add(new MetricSeries(stage, name, steps, values));
            }
            steps!.Add(step);
            values!.Add(value);
        });
        return series;
    }

    /// <summary>Per stage and metric name: how many values, the last one, the smallest and largest.</summary>
    public IReadOnlyList<MetricSummary> GetMetricSummaries(string runId)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            // The last value is the one at the largest step; ties go to the one logged last.
            using var command = Command("""
                SELECT s.stage_index, s.name, COUNT(*), MAX(p.step), MIN(p.value), MAX(p.value),
                       (SELECT q.value FROM metric_points q WHERE q.series_id = s.id
                        ORDER BY q.step DESC, q.rowid DESC LIMIT 1) AS last_value
                FROM metric_series s JOIN metric_points p ON p.series_id = s.id
                WHERE s.run_id = $run
                GROUP BY s.id
                ORDER BY s.stage_index IS NULL, s.stage_index, s.name;
                """);
            Bind(command, "$run", runId);
            using var reader = command.ExecuteReader();
            var summaries = new List<MetricSummary>();
            while (reader.Read())
            {
                summaries.Add(new MetricSummary(
                    NullableInt(reader, 0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3),
                    Last: NullableDouble(reader, 6), Min: NullableDouble(reader, 4), Max: NullableDouble(reader, 5)));
            }
            return summaries;
        }
    }

    /// <summary>A run's feedback records in the order they were added, optionally only one stage's.</summary>
    public IReadOnlyList<FeedbackEntry> GetFeedback(string runId, int? stageIndex = null)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            using var command = Command("""
                SELECT stage_index, source, annotator, kind, payload_json, cost, latency_ms, confidence
                FROM feedback WHERE run_id = $run AND ($stage IS NULL OR stage_index = $stage) ORDER BY id;
                """);
            Bind(command, "$run", runId);
            Bind(command, "$stage", stageIndex);
            using var reader = command.ExecuteReader();
            var records = new List<FeedbackEntry>();
            while (reader.Read())
            {
                double? latencyMs = reader.IsDBNull(6) ? null : reader.GetDouble(6);
                records.Add(new FeedbackEntry(
                    reader.GetString(1), NullableString(reader, 2), reader.GetString(3), reader.GetString(4), reader.GetDouble(5),
                    latencyMs is null ? null : TimeSpan.FromMilliseconds(latencyMs.Value),
                    reader.IsDBNull(7) ? null : reader.GetDouble(7))
                { StageIndex = NullableInt(reader, 0) });
            }
            return records;
        }
    }

    /// <summary>A run's transcripts in the order they were added, optionally only one stage's.</summary>
    public IReadOnlyList<TranscriptEntry> GetTranscripts(string runId, int? stageIndex = null)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            using var command = Command("""
                SELECT stage_index, method, payload_json FROM transcripts
                WHERE run_id = $run AND ($stage IS NULL OR stage_index = $stage) ORDER BY id;
                """);
            Bind(command, "$run", runId);
            Bind(command, "$stage", stageIndex);
            using var reader = command.ExecuteReader();
            var transcripts = new List<TranscriptEntry>();
            while (reader.Read())
                transcripts.Add(new TranscriptEntry(reader.GetString(1), reader.GetString(2)) { StageIndex = NullableInt(reader, 0) });
            return transcripts;
        }
    }

    /// <summary>Feedback record counts and costs of a run, per stage, source and kind.</summary>
    public IReadOnlyList<FeedbackCount> GetFeedbackCounts(string runId)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            using var command = Command("""
                SELECT stage_index, source, kind, COUNT(*), TOTAL(cost) FROM feedback WHERE run_id = $run
                GROUP BY stage_index, source, kind ORDER BY stage_index IS NULL, stage_index, source, kind;
                """);
            Bind(command, "$run", runId);
            using var reader = command.ExecuteReader();
            var counts = new List<FeedbackCount>();
            while (reader.Read())
                counts.Add(new FeedbackCount(NullableInt(reader, 0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetDouble(4)));
            return counts;
        }
    }

    /// <summary>Transcript counts of a run, per stage and method.</summary>
    public IReadOnlyList<TranscriptCount> GetTranscriptCounts(string runId)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            using var command = Command("""
                SELECT stage_index, method, COUNT(*) FROM transcripts WHERE run_id = $run
                GROUP BY stage_index, method ORDER BY stage_index IS NULL, stage_index, method;
                """);
            Bind(command, "$run", runId);
            using var reader = command.ExecuteReader();
            var counts = new List<TranscriptCount>();
            while (reader.Read())
                counts.Add(new TranscriptCount(NullableInt(reader, 0), reader.GetString(1), reader.GetInt64(2)));
            return counts;
        }
    }

    /// <summary>A run's indexed files, by stage (run-level last) then path.</summary>
    public IReadOnlyList<ArtifactEntry> GetArtifacts(string runId)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            using var command = Command("""
                SELECT stage_index, name, kind, relative_path, bytes, sha256 FROM artifacts
                WHERE run_id = $run ORDER BY stage_index IS NULL, stage_index, relative_path;
                """);
            Bind(command, "$run", runId);
            using var reader = command.ExecuteReader();
            var artifacts = new List<ArtifactEntry>();
            while (reader.Read())
            {
                artifacts.Add(new ArtifactEntry(
                    NullableInt(reader, 0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.GetString(5)));
            }
            return artifacts;
        }
    }

    /// <summary>
    /// Ends every run still being recorded through this instance as <see cref="RunStatus.Incomplete"/> (after flushing
    /// its metrics) and closes the database.
    /// </summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (disposed)
                return;
            foreach (var recorder in liveRecorders.ToArray())
                recorder.Dispose();
            disposed = true;
            connection.Dispose();
        }
    }

    /// <summary>Drops the connection without ending or flushing anything: what a killed process leaves (tests only).</summary>
    internal void Abandon()
    {
        lock (Gate)
        {
            foreach (var recorder in liveRecorders.ToArray())
                recorder.Abandon();
            disposed = true;
            connection.Dispose();
        }
    }

    /// <summary>
    /// Streams a run's metric values (all names, or one) in export order: stage (run-level last), name, step,
    /// logging order. The callback runs under the store's lock.
    /// </summary>
    internal void ReadMetrics(string runId, string? name, Action<int?, string, long, double> onPoint)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            using var command = Command("""
                SELECT s.stage_index, s.name, p.step, p.value
                FROM metric_series s JOIN metric_points p ON p.series_id = s.id
                WHERE s.run_id = $run AND ($name IS NULL OR s.name = $name)
                ORDER BY s.stage_index IS NULL, s.stage_index, s.name, p.step, p.rowid;
                """);
            Bind(command, "$run", runId);
            Bind(command, "$name", name);
            using var reader = command.ExecuteReader();
            while (reader.Read())
                onPoint(NullableInt(reader, 0), reader.GetString(1), reader.GetInt64(2), NullableDouble(reader, 3));
        }
    }

    internal void Forget(RunRecorder recorder)
    {
        lock (Gate)
            liveRecorders.Remove(recorder);
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);

    internal SqliteCommand Command(string sql, SqliteTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    internal static void Bind(SqliteCommand command, string name, object? value) =>
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);

    internal static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private const string RunSelect = """
        SELECT r.id, r.name, r.kind, r.compare_id, r.arm, r.seed, r.manifest_json, r.manifest_sha256, r.status, r.error,
               r.planned_stages, r.started_utc, r.ended_utc, r.pid, r.host,
               (SELECT COUNT(*) FROM stages s WHERE s.run_id = r.id AND s.status = 'completed'),
               (SELECT COUNT(*) FROM stages s WHERE s.run_id = r.id)
        FROM runs r
        """;

    private static List<RunInfo> ReadRuns(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var runs = new List<RunInfo>();
        while (reader.Read())
        {
            runs.Add(new RunInfo
            {
                Id = reader.GetString(0),
                Name = reader.GetString(1),
                Kind = StoreNames.ParseKind(reader.GetString(2)),
                CompareId = NullableString(reader, 3),
                Arm = NullableString(reader, 4),
                Seed = reader.GetInt64(5),
                ManifestJson = reader.GetString(6),
                ManifestSha256 = reader.GetString(7),
                Status = StoreNames.ParseStatus(reader.GetString(8)),
                Error = NullableString(reader, 9),
                PlannedStages = NullableInt(reader, 10),
                StartedUtc = StoreTime.Parse(reader.GetString(11)),
                EndedUtc = StoreTime.ParseOrNull(NullableString(reader, 12)),
                ProcessId = reader.GetInt32(13),
                Host = reader.GetString(14),
                StagesCompleted = reader.GetInt32(15),
                StagesRecorded = reader.GetInt32(16),
            });
        }
        return runs;
    }

    /// <summary>Inserts a row under a fresh id, drawing another if (very rarely) the id is taken.</summary>
    private string InsertWithNewId(DateTimeOffset now, Action<string> insert)
    {
        for (var attempt = 0; ; attempt++)
        {
            var id = Options.NewId(now);
            try
            {
                insert(id);
                return id;
            }
            catch (SqliteException e) when (e.SqliteExtendedErrorCode == 1555 /* SQLITE_CONSTRAINT_PRIMARYKEY */ && attempt < 8)
            {
            }
        }
    }

    private void BindIdentity(SqliteCommand command, DateTimeOffset now)
    {
        Bind(command, "$started", StoreTime.ToText(now));
        Bind(command, "$pid", Identity.Pid);
        Bind(command, "$host", Identity.Host);
        Bind(command, "$processStarted", StoreTime.ToDb(Identity.StartedUtc));
    }

    /// <summary>Finds runs and compares this machine's dead processes left running and marks them incomplete.</summary>
    private List<string> MarkAbandonedRunsIncomplete()
    {
        var recovered = new List<string>();
        using var transaction = connection.BeginTransaction(deferred: false);
        var found = DateTimeOffset.UtcNow; // real time: this is about the machine, not the run's clock
        foreach (var table in new[] { "runs", "compares" })
        {
            var dead = new List<(string Id, int Pid)>();
            using (var select = Command($"SELECT id, pid, process_started_utc FROM {table} WHERE status = 'running' AND host = $host;", transaction))
            {
                Bind(select, "$host", Identity.Host);
                using var reader = select.ExecuteReader();
                while (reader.Read())
                {
                    var pid = reader.GetInt32(1);
                    if (!ProcessIdentity.IsAlive(pid, StoreTime.ParseOrNull(NullableString(reader, 2))))
                        dead.Add((reader.GetString(0), pid));
                }
            }
            foreach (var (id, pid) in dead)
            {
                using var update = Command($"UPDATE {table} SET status = 'incomplete', error = $error WHERE id = $id;", transaction);
                Bind(update, "$error", string.Create(CultureInfo.InvariantCulture,
                    $"Process {pid} on {Identity.Host} stopped without ending it (found when the store was opened at {StoreTime.ToText(found)})."));
                Bind(update, "$id", id);
                update.ExecuteNonQuery();
                if (table == "runs")
                {
                    using var stages = Command("UPDATE stages SET status = 'incomplete' WHERE run_id = $id AND status = 'running';", transaction);
                    Bind(stages, "$id", id);
                    stages.ExecuteNonQuery();
                    recovered.Add(id);
                }
            }
        }
        transaction.Commit();
        return recovered;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static DateTimeOffset TruncateToMs(DateTimeOffset time) => StoreTime.Parse(StoreTime.ToText(time));

    internal static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    internal static int? NullableInt(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    // NULL is how SQLite keeps NaN.
    private static double NullableDouble(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? double.NaN : reader.GetDouble(ordinal);
}
