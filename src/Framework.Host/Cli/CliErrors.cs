using AlignFx.Host.Store;
using Microsoft.Data.Sqlite;

namespace AlignFx.Host.Cli;

/// <summary>
/// An expected failure of a command: its message is one paragraph that names the thing and the fix, and
/// <see cref="ExitCode"/> says whether the input was refused (2) or the work failed (1).
/// </summary>
public class CliException(string message, int exitCode, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The process exit code this failure ends with.</summary>
    public int ExitCode { get; } = exitCode;
}

/// <summary>Input refused before any work started (bad arguments, an unusable store or output path): exit 2.</summary>
public sealed class RefusedInputException(string message, Exception? inner = null) : CliException(message, ExitCodes.InvalidInput, inner);

/// <summary>
/// The one error policy of the command line: every exception a command lets out becomes one paragraph on standard
/// error and an exit code. Expected failures print their message; anything else is a failed run (exit 1) named by
/// its type. Stack traces only with <c>--verbose</c> (a failed run's store record always keeps its own).
/// </summary>
public static class CliErrorPolicy
{
    /// <summary>Writes what went wrong to <paramref name="error"/> and returns the exit code.</summary>
    /// <param name="exception">What a command let out.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="verbose">Add the stack trace (<c>--verbose</c>).</param>
    /// <returns>2 for refused input, 1 for a failure, 130 for a cancellation.</returns>
    public static int Report(Exception exception, TextWriter error, bool verbose)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(error);
        if (exception is AggregateException { InnerExceptions.Count: 1 } aggregate)
            exception = aggregate.InnerExceptions[0];
        var (code, message) = exception switch
        {
            CliException cli => (cli.ExitCode, cli.Message),
            RunStoreException store => (ExitCodes.InvalidInput, store.Message),
            OperationCanceledException => (ExitCodes.Cancelled, "stopped."),
            _ => (ExitCodes.Failed,
                $"alignfx failed unexpectedly: {exception.GetType().Name}: {exception.Message}" +
                (verbose ? "" : " (run again with --verbose for the stack trace)")),
        };
        error.WriteLine($"error: {message}");
        if (verbose)
            error.WriteLine(exception.ToString());
        return code;
    }
}

/// <summary>Opens the run store for a command, turning every way a path can be unusable into a refusal that names the fix.</summary>
internal static class StoreAccess
{
    /// <summary>Opens (and creates, when <paramref name="create"/>) the store; null when it does not exist and must not be created.</summary>
    public static RunStore? Open(string? path, bool create)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new RefusedInputException("--store needs a file path (the default is runs/alignfx.db).");
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new RefusedInputException($"--store '{path}' is not a usable file path ({ex.Message}); give another path.", ex);
        }
        if (Directory.Exists(full))
            throw new RefusedInputException($"--store '{path}' is a folder; give the store's file, for example {Path.Combine(path, "alignfx.db")}.");
        if (!File.Exists(full) && !create)
            return null;
        try
        {
            return RunStore.Open(full);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 26 or 11) // SQLITE_NOTADB, SQLITE_CORRUPT
        {
            throw new RefusedInputException($"--store '{path}' is not an AlignFx run store (not a SQLite database, or a damaged one: {ex.Message}); give another path, or move this file away.", ex);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 8 or 14 or 3 or 23) // READONLY, CANTOPEN, PERM, AUTH
        {
            throw new RefusedInputException($"--store '{path}' cannot be opened for writing ({ex.Message}); check the file's and its folder's permissions, or give another path.", ex);
        }
        catch (SqliteException ex)
        {
            throw new RefusedInputException($"--store '{path}' cannot be used ({ex.Message}); give another path.", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RefusedInputException($"--store '{path}' cannot be created or opened ({ex.Message}); check the folder's permissions, or give another path.", ex);
        }
    }
}
