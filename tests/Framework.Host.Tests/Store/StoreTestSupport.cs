using System.Runtime.CompilerServices;
using AlignFx.Host.Store;
using Microsoft.Data.Sqlite;

namespace AlignFx.Host.Tests.Store;

/// <summary>A clock the test moves by hand; its timers fire (on the caller's thread) when it is advanced past them.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private readonly List<ManualTimer> timers = [];

    public DateTimeOffset Now { get; private set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by)
    {
        Now += by;
        foreach (var timer in timers.ToArray())
            timer.FireIfDue(Now);
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        timers.Add(timer);
        return timer;
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private DateTimeOffset? due;
        private TimeSpan period;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            due = dueTime == Timeout.InfiniteTimeSpan ? null : clock.Now + dueTime;
            this.period = period;
            return true;
        }

        public void FireIfDue(DateTimeOffset now)
        {
            while (due is { } d && d <= now)
            {
                due = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : d + period;
                callback(state);
            }
        }

        public void Dispose()
        {
            due = null;
            clock.timers.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>A fresh folder for one test's store, deleted afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "alignfx-store-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string DatabasePath => System.IO.Path.Combine(Path, "runs", "alignfx.db");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp folder is harmless
        }
    }
}

internal static class StoreTestSupport
{
    /// <summary>Runs a scalar SQL query on the database through a connection of its own.</summary>
    public static object? Scalar(string databasePath, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}

/// <summary>
/// Golden files live in Store/Golden beside this file and are copied next to the test assembly. Set
/// ALIGNFX_UPDATE_GOLDEN=1 to rewrite the source copies from the actual output (then review the diff).
/// </summary>
internal static class Golden
{
    public static void Match(string fileName, string actual, [CallerFilePath] string sourceFile = "")
    {
        if (Environment.GetEnvironmentVariable("ALIGNFX_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(sourceFile)!, "Golden", fileName), actual);
            return;
        }
        var path = Path.Combine(AppContext.BaseDirectory, "Store", "Golden", fileName);
        Assert.True(File.Exists(path), $"Golden file {fileName} is missing; run the tests once with ALIGNFX_UPDATE_GOLDEN=1.");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
