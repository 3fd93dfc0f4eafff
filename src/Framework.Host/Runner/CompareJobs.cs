using System.Diagnostics;

namespace AlignFx.Host.Runner;

/// <summary>One run of a compare: an arm with a seed.</summary>
/// <param name="CompareId">The compare it belongs to.</param>
/// <param name="Arm">The arm's name.</param>
/// <param name="Seed">The seed.</param>
public sealed record CompareJob(string CompareId, string Arm, int Seed);

/// <summary>Runs compare jobs somewhere else than the calling process (<c>alignfx compare --jobs N</c>).</summary>
public interface ICompareJobLauncher
{
    /// <summary>Runs <paramref name="job"/> to the end against the compare's store.</summary>
    /// <param name="job">The arm and seed.</param>
    /// <param name="ct">Stops the job (its process is killed; the store marks its run incomplete).</param>
    /// <returns>The job's exit code (0: its run completed).</returns>
    Task<int> RunAsync(CompareJob job, CancellationToken ct);
}

/// <summary>
/// Runs each job as <c>alignfx compare-worker</c> in a process of its own, with the parent's store, plugins and
/// run options, and copies its output to <paramref name="log"/> line by line, prefixed with the arm and seed.
/// </summary>
/// <param name="manifestPath">The compare manifest the worker loads again (it is the same file, already validated).</param>
/// <param name="globalArguments">The parent's options the worker needs (<c>--store</c>, <c>--plugins</c>, <c>--device</c>, ...).</param>
/// <param name="log">Where the workers' output goes.</param>
/// <param name="host">
/// The command line that starts <c>alignfx</c> (for example <c>dotnet path/alignfx.dll</c>); null: the way this process
/// was started.
/// </param>
public sealed class ProcessCompareJobs(string manifestPath, IReadOnlyList<string> globalArguments, TextWriter log, IReadOnlyList<string>? host = null)
    : ICompareJobLauncher
{
    /// <summary>The hidden command a worker runs.</summary>
    public const string WorkerCommand = "compare-worker";
    /// <summary>The worker's option naming the compare.</summary>
    public const string CompareIdOption = "--compare-id";
    /// <summary>The worker's option naming the arm.</summary>
    public const string ArmOption = "--arm";
    /// <summary>The worker's option giving the seed.</summary>
    public const string SeedOption = "--seed";

    private readonly Lock _gate = new();

    /// <inheritdoc />
    public async Task<int> RunAsync(CompareJob job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        IReadOnlyList<string> command = host ?? ThisHost();
        start.FileName = command[0];
        foreach (string part in command.Skip(1))
        {
            start.ArgumentList.Add(part);
        }
        foreach (string argument in (string[])[WorkerCommand, manifestPath, CompareIdOption, job.CompareId, ArmOption, job.Arm,
                     SeedOption, job.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), .. globalArguments])
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start a worker for arm '{job.Arm}', seed {job.Seed}.");
        string prefix = $"[{job.Arm} seed {job.Seed}] ";
        Task copyOut = CopyAsync(process.StandardOutput, prefix);
        Task copyErr = CopyAsync(process.StandardError, prefix);
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        await Task.WhenAll(copyOut, copyErr).ConfigureAwait(false);
        return process.ExitCode;
    }

    /// <summary>How this process was started: the apphost, or <c>dotnet alignfx.dll</c>.</summary>
    private static string[] ThisHost()
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown, so no workers can be started; use --jobs 1.");
        string dll = typeof(ProcessCompareJobs).Assembly.Location;
        return string.Equals(Path.GetFileNameWithoutExtension(self), Path.GetFileNameWithoutExtension(dll), StringComparison.Ordinal) ? [self] : [self, dll];
    }

    private async Task CopyAsync(StreamReader reader, string prefix)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lock (_gate)
            {
                log.WriteLine(prefix + line);
            }
        }
    }
}
