using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Caching.Distributed;
using AlignFx.Host.Store;

namespace AlignFx.Host.Chat;

/// <summary>One call to a chat model during a run, as the store keeps it.</summary>
/// <param name="RunId">The run.</param>
/// <param name="StageIndex">The stage that made the call (null: between stages).</param>
/// <param name="Model">The chat-model component's name in the manifest (<c>openai-compatible</c>, <c>policy</c>).</param>
/// <param name="ModelId">The model id the answer names, when it names one.</param>
/// <param name="InputTokens">Prompt tokens, when the model reports them.</param>
/// <param name="OutputTokens">Completion tokens, when the model reports them.</param>
/// <param name="TotalTokens">Both, when the model reports them.</param>
/// <param name="Cached">Whether the answer came from the store's response cache (no tokens were spent again).</param>
/// <param name="LatencyMs">Wall-clock milliseconds of the call.</param>
public sealed record ChatCall(string RunId, int? StageIndex, string Model, string? ModelId, long? InputTokens, long? OutputTokens,
    long? TotalTokens, bool Cached, double LatencyMs);

/// <summary>A run's chat calls of one model in one stage, summed.</summary>
/// <param name="StageIndex">The stage (null: between stages).</param>
/// <param name="Model">The chat-model component.</param>
/// <param name="Calls">Calls made.</param>
/// <param name="Cached">Calls the response cache answered.</param>
/// <param name="InputTokens">Prompt tokens reported.</param>
/// <param name="OutputTokens">Completion tokens reported.</param>
public sealed record ChatUsageSummary(int? StageIndex, string Model, long Calls, long Cached, long InputTokens, long OutputTokens);

/// <summary>
/// The chat models' part of the run store: the response cache (an <see cref="IDistributedCache"/> over SQLite, which
/// Microsoft.Extensions.AI's <see cref="Microsoft.Extensions.AI.DistributedCachingChatClient"/> reads and writes) and a
/// row per chat call with its token usage.
/// </summary>
/// <remarks>
/// The two tables are created on first use with <c>CREATE TABLE IF NOT EXISTS</c> rather than as a numbered store
/// migration: they depend on nothing else's layout, and older stores gain them without a version step. The cache is
/// shared by every run in the store (that is what lets a later run replay an earlier one offline); calls belong to
/// their run and go when it is deleted.
/// </remarks>
public sealed class ChatStore : IDistributedCache
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS chat_cache (
            key         TEXT PRIMARY KEY,
            response    BLOB NOT NULL,
            created_utc TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS chat_calls (
            id            INTEGER PRIMARY KEY,
            run_id        TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            stage_index   INTEGER,
            model         TEXT NOT NULL,
            model_id      TEXT,
            input_tokens  INTEGER,
            output_tokens INTEGER,
            total_tokens  INTEGER,
            cached        INTEGER NOT NULL,
            latency_ms    REAL NOT NULL,
            created_utc   TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS chat_calls_by_run ON chat_calls (run_id, id);
        """;

    private readonly RunStore _store;

    /// <summary>The chat tables of <paramref name="store"/>, created when missing.</summary>
    /// <param name="store">An open run store.</param>
    public ChatStore(RunStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        lock (store.Gate)
        {
            store.ThrowIfDisposed();
            using SqliteCommand command = store.Command(Schema);
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Records one call.</summary>
    /// <param name="call">The call.</param>
    public void RecordCall(ChatCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        lock (_store.Gate)
        {
            _store.ThrowIfDisposed();
            using SqliteCommand command = _store.Command("""
                INSERT INTO chat_calls (run_id, stage_index, model, model_id, input_tokens, output_tokens, total_tokens, cached, latency_ms, created_utc)
                VALUES ($run, $stage, $model, $modelId, $in, $out, $total, $cached, $latency, $created);
                """);
            RunStore.Bind(command, "$run", call.RunId);
            RunStore.Bind(command, "$stage", call.StageIndex);
            RunStore.Bind(command, "$model", call.Model);
            RunStore.Bind(command, "$modelId", call.ModelId);
            RunStore.Bind(command, "$in", call.InputTokens);
            RunStore.Bind(command, "$out", call.OutputTokens);
            RunStore.Bind(command, "$total", call.TotalTokens);
            RunStore.Bind(command, "$cached", call.Cached ? 1 : 0);
            RunStore.Bind(command, "$latency", call.LatencyMs);
            RunStore.Bind(command, "$created", StoreTime.ToText(_store.Now));
            command.ExecuteNonQuery();
        }
    }

    /// <summary>The chat calls of a run, in the order they were made.</summary>
    /// <param name="runId">The run's full id.</param>
    /// <returns>The calls.</returns>
    public IReadOnlyList<ChatCall> GetCalls(string runId)
    {
        lock (_store.Gate)
        {
            _store.ThrowIfDisposed();
            using SqliteCommand command = _store.Command("""
                SELECT run_id, stage_index, model, model_id, input_tokens, output_tokens, total_tokens, cached, latency_ms
                FROM chat_calls WHERE run_id = $run ORDER BY id;
                """);
            RunStore.Bind(command, "$run", runId);
            using SqliteDataReader reader = command.ExecuteReader();
            var calls = new List<ChatCall>();
            while (reader.Read())
            {
                calls.Add(new ChatCall(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt32(1), reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), Long(reader, 4), Long(reader, 5), Long(reader, 6),
                    reader.GetInt64(7) != 0, reader.GetDouble(8)));
            }
            return calls;
        }
    }

    /// <summary>
    /// A run's chat usage by stage and model, read without creating anything: a store that never saw a chat model has no
    /// chat tables, and gives an empty list.
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="runId">The run's full id.</param>
    /// <returns>One row per stage and model.</returns>
    public static IReadOnlyList<ChatUsageSummary> Summarise(RunStore store, string runId)
    {
        ArgumentNullException.ThrowIfNull(store);
        lock (store.Gate)
        {
            store.ThrowIfDisposed();
            using (SqliteCommand exists = store.Command("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'chat_calls';"))
            {
                if ((long)exists.ExecuteScalar()! == 0)
                {
                    return [];
                }
            }
            using SqliteCommand command = store.Command("""
                SELECT stage_index, model, COUNT(*), SUM(cached), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0)
                FROM chat_calls WHERE run_id = $run GROUP BY stage_index, model ORDER BY stage_index, model;
                """);
            RunStore.Bind(command, "$run", runId);
            using SqliteDataReader reader = command.ExecuteReader();
            var rows = new List<ChatUsageSummary>();
            while (reader.Read())
            {
                rows.Add(new ChatUsageSummary(reader.IsDBNull(0) ? null : reader.GetInt32(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3),
                    reader.GetInt64(4), reader.GetInt64(5)));
            }
            return rows;
        }
    }

    /// <summary>How many answers the response cache holds.</summary>
    public long CachedResponses
    {
        get
        {
            lock (_store.Gate)
            {
                _store.ThrowIfDisposed();
                using SqliteCommand command = _store.Command("SELECT COUNT(*) FROM chat_cache;");
                return (long)command.ExecuteScalar()!;
            }
        }
    }

    /// <inheritdoc />
    public byte[]? Get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_store.Gate)
        {
            _store.ThrowIfDisposed();
            using SqliteCommand command = _store.Command("SELECT response FROM chat_cache WHERE key = $key;");
            RunStore.Bind(command, "$key", key);
            return command.ExecuteScalar() as byte[];
        }
    }

    /// <inheritdoc />
    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => Task.FromResult(Get(key));

    /// <summary>Stores an answer. Entries never expire: a replay needs every answer the run it replays received.</summary>
    /// <param name="key">The request's key.</param>
    /// <param name="value">The serialised answer.</param>
    /// <param name="options">Ignored (no expiry).</param>
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        lock (_store.Gate)
        {
            _store.ThrowIfDisposed();
            using SqliteCommand command = _store.Command("""
                INSERT INTO chat_cache (key, response, created_utc) VALUES ($key, $value, $created)
                ON CONFLICT (key) DO UPDATE SET response = excluded.response, created_utc = excluded.created_utc;
                """);
            RunStore.Bind(command, "$key", key);
            RunStore.Bind(command, "$value", value);
            RunStore.Bind(command, "$created", StoreTime.ToText(_store.Now));
            command.ExecuteNonQuery();
        }
    }

    /// <inheritdoc />
    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        Set(key, value, options);
        return Task.CompletedTask;
    }

    /// <summary>Nothing to do: entries have no sliding expiry.</summary>
    /// <param name="key">The key.</param>
    public void Refresh(string key)
    {
    }

    /// <inheritdoc />
    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    /// <inheritdoc />
    public void Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_store.Gate)
        {
            _store.ThrowIfDisposed();
            using SqliteCommand command = _store.Command("DELETE FROM chat_cache WHERE key = $key;");
            RunStore.Bind(command, "$key", key);
            command.ExecuteNonQuery();
        }
    }

    /// <inheritdoc />
    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        Remove(key);
        return Task.CompletedTask;
    }

    private static long? Long(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
}
