using Microsoft.Data.Sqlite;

namespace AlignFx.Host.Store;

/// <summary>
/// The database schema as forward migrations. <c>PRAGMA user_version</c> holds how many have been applied; opening
/// a store applies the missing ones, each in its own transaction with the version bump, so a crash mid-migration
/// leaves the previous version intact. To change the schema, append a migration; never edit a released one.
/// </summary>
internal static class StoreSchema
{
    private const string Statuses = "'running','completed','failed','cancelled','incomplete'";

    private static readonly string[] Migrations =
    [
        // Version 1.
        $"""
        CREATE TABLE compares (
            id              TEXT PRIMARY KEY,
            name            TEXT NOT NULL,
            manifest_json   TEXT NOT NULL,
            manifest_sha256 TEXT NOT NULL,
            status          TEXT NOT NULL CHECK (status IN ({Statuses})),
            error           TEXT,
            started_utc     TEXT NOT NULL,
            ended_utc       TEXT,
            pid             INTEGER NOT NULL,
            host            TEXT NOT NULL,
            process_started_utc TEXT
        );

        CREATE TABLE runs (
            id              TEXT PRIMARY KEY,
            name            TEXT NOT NULL,
            kind            TEXT NOT NULL CHECK (kind IN ('pipeline','compare-arm')),
            compare_id      TEXT REFERENCES compares(id) ON DELETE CASCADE,
            arm             TEXT,
            seed            INTEGER NOT NULL,
            manifest_json   TEXT NOT NULL,
            manifest_sha256 TEXT NOT NULL,
            status          TEXT NOT NULL CHECK (status IN ({Statuses})),
            error           TEXT,
            planned_stages  INTEGER,
            started_utc     TEXT NOT NULL,
            ended_utc       TEXT,
            pid             INTEGER NOT NULL,
            host            TEXT NOT NULL,
            process_started_utc TEXT,
            CHECK ((kind = 'compare-arm') = (compare_id IS NOT NULL))
        );
        CREATE INDEX runs_by_start ON runs (started_utc, id);
        CREATE INDEX runs_by_compare ON runs (compare_id);
        CREATE INDEX runs_by_status ON runs (status);

        CREATE TABLE stages (
            run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            stage_index INTEGER NOT NULL,
            name        TEXT NOT NULL,
            stage_id    TEXT NOT NULL,
            status      TEXT NOT NULL CHECK (status IN ({Statuses})),
            error       TEXT,
            started_utc TEXT NOT NULL,
            ended_utc   TEXT,
            PRIMARY KEY (run_id, stage_index)
        ) WITHOUT ROWID;

        -- A series is one metric name within one stage (stage_index NULL: run-level); points refer to it by a
        -- small integer so the many point rows do not repeat the run id and name.
        CREATE TABLE metric_series (
            id          INTEGER PRIMARY KEY,
            run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            stage_index INTEGER,
            name        TEXT NOT NULL,
            FOREIGN KEY (run_id, stage_index) REFERENCES stages (run_id, stage_index) ON DELETE CASCADE
        );
        CREATE INDEX metric_series_by_run ON metric_series (run_id, name, stage_index);

        -- value NULL stands for NaN: SQLite stores a NaN REAL as NULL.
        CREATE TABLE metric_points (
            series_id INTEGER NOT NULL REFERENCES metric_series(id) ON DELETE CASCADE,
            step      INTEGER NOT NULL,
            value     REAL
        );
        CREATE INDEX metric_points_by_series ON metric_points (series_id, step);

        -- The flat shape for ad-hoc SQL: one row per logged value.
        CREATE VIEW metrics AS
            SELECT s.run_id, s.stage_index, s.name, p.step, p.value
            FROM metric_points p JOIN metric_series s ON s.id = p.series_id;

        CREATE TABLE feedback (
            id           INTEGER PRIMARY KEY,
            run_id       TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            stage_index  INTEGER,
            source       TEXT NOT NULL,
            annotator    TEXT,
            kind         TEXT NOT NULL,
            payload_json TEXT NOT NULL CHECK (json_valid(payload_json)),
            cost         REAL NOT NULL,
            latency_ms   REAL,
            confidence   REAL,
            FOREIGN KEY (run_id, stage_index) REFERENCES stages (run_id, stage_index) ON DELETE CASCADE
        );
        CREATE INDEX feedback_by_run ON feedback (run_id, stage_index);

        CREATE TABLE transcripts (
            id           INTEGER PRIMARY KEY,
            run_id       TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            stage_index  INTEGER,
            method       TEXT NOT NULL,
            payload_json TEXT NOT NULL CHECK (json_valid(payload_json)),
            FOREIGN KEY (run_id, stage_index) REFERENCES stages (run_id, stage_index) ON DELETE CASCADE
        );
        CREATE INDEX transcripts_by_run ON transcripts (run_id, stage_index);

        CREATE TABLE artifacts (
            id            INTEGER PRIMARY KEY,
            run_id        TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            stage_index   INTEGER,
            name          TEXT NOT NULL,
            kind          TEXT NOT NULL,
            relative_path TEXT NOT NULL,
            bytes         INTEGER NOT NULL,
            sha256        TEXT NOT NULL,
            UNIQUE (run_id, relative_path),
            FOREIGN KEY (run_id, stage_index) REFERENCES stages (run_id, stage_index) ON DELETE CASCADE
        );
        """,
        // Version 2: the stage cache. cache_key: the stage's key when it is cacheable; cached: 1 when it was restored
        // from the cache instead of run.
        """
        ALTER TABLE stages ADD COLUMN cache_key TEXT;
        ALTER TABLE stages ADD COLUMN cached INTEGER NOT NULL DEFAULT 0 CHECK (cached IN (0, 1));
        """,
    ];

    /// <summary>The schema version this build writes.</summary>
    public static int LatestVersion => Migrations.Length;

    /// <summary>Brings the database up to <see cref="LatestVersion"/>; refuses a database from a newer build.</summary>
    public static void Migrate(SqliteConnection connection, string path)
    {
        while (true)
        {
            using var transaction = connection.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: one migrator at a time
            var version = ReadVersion(connection, transaction);
            if (version > LatestVersion)
                throw new RunStoreException(
                    $"The run store '{path}' has schema version {version}, newer than this alignfx understands ({LatestVersion}); use a newer alignfx or another store.");
            if (version == LatestVersion)
            {
                transaction.Commit();
                return;
            }
            using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = Migrations[version] + $"\nPRAGMA user_version = {version + 1};";
                command.ExecuteNonQuery();
            }
            transaction.Commit();
        }
    }

    public static int ReadVersion(SqliteConnection connection, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
