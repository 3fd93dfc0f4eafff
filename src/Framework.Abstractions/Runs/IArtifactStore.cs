namespace AlignFx.Abstractions.Runs;

/// <summary>Files a run writes, kept under the run's folder (<c>runs/&lt;run-id&gt;/</c>) and indexed in the store.</summary>
public interface IArtifactStore
{
    /// <summary>The run's folder (absolute).</summary>
    string RunDirectory { get; }

    /// <summary>
    /// The absolute path of <paramref name="relativePath"/> under the run's folder, with its parent folders created.
    /// </summary>
    /// <param name="relativePath">A relative path with <c>/</c> separators, for example <c>"policy/final.safetensors"</c>.</param>
    /// <returns>Where to write the file.</returns>
    /// <exception cref="ArgumentException">The path is absolute or leaves the run's folder.</exception>
    string GetPath(string relativePath);

    /// <summary>Records a written file in the store's artifact index.</summary>
    /// <param name="relativePath">The path given to <see cref="GetPath"/>.</param>
    /// <param name="kind">What the file is, for example <c>checkpoint</c>, <c>report</c>, <c>samples</c>.</param>
    /// <param name="description">An optional line for people.</param>
    void Register(string relativePath, string kind, string? description = null);
}

/// <summary>Reports progress of long work; the host shows a bar on a terminal and plain lines elsewhere.</summary>
public interface IProgressReporter
{
    /// <summary>Starts a task.</summary>
    /// <param name="description">What is being done, for example <c>"pretrain"</c>.</param>
    /// <param name="total">The amount of work (steps, samples); the task is done when its value reaches it.</param>
    /// <returns>The task; dispose it to finish it.</returns>
    IProgressTask Start(string description, double total);
}

/// <summary>One task of an <see cref="IProgressReporter"/>. Disposing it marks it finished.</summary>
public interface IProgressTask : IDisposable
{
    /// <summary>Adds <paramref name="amount"/> to the task's value.</summary>
    /// <param name="amount">Work done since the last call.</param>
    void Advance(double amount = 1);
}

/// <summary>
/// Artifact kinds the host treats specially: at the end of <c>alignfx run</c> it names every <see cref="Report"/> file
/// and prints every <see cref="Headline"/> file, so a user sees where the report is and its key numbers.
/// </summary>
public static class ReportArtifactKinds
{
    /// <summary>A report a person opens (HTML page, Markdown summary).</summary>
    public const string Report = "report";

    /// <summary>A short Markdown text (a table of the key numbers) printed at the end of the run.</summary>
    public const string Headline = "report-headline";

    /// <summary>
    /// A <see cref="ReportContribution"/> (JSON): disclosure facts and sections the host's report shows (contracts 2.2).
    /// </summary>
    public const string Contribution = "report-contribution";
}
