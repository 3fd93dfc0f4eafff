namespace AlignFx.Host.Store;

/// <summary>The state of a run, a stage or a compare, as stored.</summary>
public enum RunStatus
{
    /// <summary>Started and not yet ended (or its process is still alive).</summary>
    Running,
    /// <summary>Finished normally.</summary>
    Completed,
    /// <summary>Ended by an error; the error text is stored.</summary>
    Failed,
    /// <summary>Stopped on request (Ctrl+C) at a safe point.</summary>
    Cancelled,
    /// <summary>Its process died (was killed, crashed) before ending it; detected when the store is next opened.</summary>
    Incomplete,
}

/// <summary>What a run is part of.</summary>
public enum RunKind
{
    /// <summary>A run of one pipeline manifest (<c>alignfx run</c>).</summary>
    Pipeline,
    /// <summary>One arm and seed of a compare (<c>alignfx compare</c>); the run points at its compare.</summary>
    CompareArm,
}

/// <summary>The text forms the database and the views use for <see cref="RunStatus"/> and <see cref="RunKind"/>.</summary>
public static class StoreNames
{
    /// <summary>The stored, lower-case name of a status (<c>running</c>, <c>completed</c>, ...).</summary>
    public static string ToText(this RunStatus status) => status switch
    {
        RunStatus.Running => "running",
        RunStatus.Completed => "completed",
        RunStatus.Failed => "failed",
        RunStatus.Cancelled => "cancelled",
        RunStatus.Incomplete => "incomplete",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>The stored name of a kind (<c>pipeline</c> or <c>compare-arm</c>).</summary>
    public static string ToText(this RunKind kind) => kind switch
    {
        RunKind.Pipeline => "pipeline",
        RunKind.CompareArm => "compare-arm",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    internal static RunStatus ParseStatus(string text) => text switch
    {
        "running" => RunStatus.Running,
        "completed" => RunStatus.Completed,
        "failed" => RunStatus.Failed,
        "cancelled" => RunStatus.Cancelled,
        "incomplete" => RunStatus.Incomplete,
        _ => throw new RunStoreException($"The store holds an unknown status '{text}'."),
    };

    internal static RunKind ParseKind(string text) => text switch
    {
        "pipeline" => RunKind.Pipeline,
        "compare-arm" => RunKind.CompareArm,
        _ => throw new RunStoreException($"The store holds an unknown run kind '{text}'."),
    };
}

/// <summary>
/// A problem a user can act on: an unknown or ambiguous run id, a store written by a newer alignfx, a recorder used
/// after it ended. The message is a plain sentence fit to print.
/// </summary>
public sealed class RunStoreException : Exception
{
    /// <summary>Creates the exception with a printable message.</summary>
    public RunStoreException(string message) : base(message) { }

    /// <summary>Creates the exception with a printable message and its cause.</summary>
    public RunStoreException(string message, Exception inner) : base(message, inner) { }
}
