using System.Text;
using AlignFx.Host.Store;
using AlignFx.Reporting;

namespace AlignFx.Host.Reports;

/// <summary>
/// Writes run and compare reports (one engine: <see cref="ReportRenderer"/>) from the store: at the end of
/// <c>alignfx run</c> and <c>alignfx compare</c>, and again by <c>alignfx report &lt;id&gt;</c>, with the same bytes.
/// </summary>
public static class HostReports
{
    /// <summary>Writes the run's report into its folder; returns the path.</summary>
    public static string WriteRun(RunStore store, string runId)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Write(Path.Combine(store.GetRunFolder(runId), RunReports.FileName), ReportRenderer.Render(RunReports.Build(store, runId)));
    }

    /// <summary>Writes the compare's report next to its summary.md; returns the path.</summary>
    public static string WriteCompare(RunStore store, string compareId)
    {
        ArgumentNullException.ThrowIfNull(store);
        CompareInfo compare = CompareReports.Find(store, compareId) ?? throw new RunStoreException($"No compare has the id '{compareId}'.");
        return Write(Path.Combine(store.RunsDirectory, "compares", compare.Id, CompareReports.FileName), ReportRenderer.Render(CompareReports.Build(store, compare)));
    }

    /// <summary>
    /// The report of the run or compare <paramref name="idOrPrefix"/> names (an id or a unique prefix; compares first).
    /// </summary>
    /// <returns>The page and the path it is written to by default.</returns>
    public static (string Html, string DefaultPath) Rebuild(RunStore store, string idOrPrefix)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(idOrPrefix);
        string wanted = idOrPrefix.Trim();
        if (CompareReports.Find(store, wanted) is { } compare)
        {
            return (ReportRenderer.Render(CompareReports.Build(store, compare)), Path.Combine(store.RunsDirectory, "compares", compare.Id, CompareReports.FileName));
        }
        string runId;
        try
        {
            runId = store.ResolveRunId(wanted);
        }
        catch (RunStoreException ex)
        {
            throw new RunStoreException($"No run or compare has the id '{wanted}' ({ex.Message}); 'alignfx runs list' shows the runs.", ex);
        }
        return (ReportRenderer.Render(RunReports.Build(store, runId)), Path.Combine(store.GetRunFolder(runId), RunReports.FileName));
    }

    private static string Write(string path, string html)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, html, new UTF8Encoding(false));
        File.Move(temporary, path, overwrite: true);
        return path;
    }
}
