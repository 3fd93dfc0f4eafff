namespace AlignFx.Host.Store;

/// <summary>How a <see cref="RunStore"/> behaves; the defaults suit the CLI.</summary>
public sealed class RunStoreOptions
{
    /// <summary>The store's default location, relative to the working directory.</summary>
    public const string DefaultPath = "runs/alignfx.db";

    /// <summary>The clock for start and end times (tests inject a fixed one).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Makes a new run or compare id from its start time (default <see cref="RunIds.NewId"/>).</summary>
    public Func<DateTimeOffset, string> NewId { get; init; } = RunIds.NewId;

    /// <summary>Buffered metric values are written once this many are waiting (and at stage end and on Flush).</summary>
    public int MetricFlushRows { get; init; } = 2000;

    /// <summary>Buffered metric values are written at least this often, so a killed run loses at most this much.</summary>
    public TimeSpan MetricFlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a write waits for another process holding the database's write lock.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Stands in for this process's identity (tests only: to fake a run left by a dead process).</summary>
    internal ProcessIdentity? ProcessOverride { get; init; }
}
