using System.Globalization;
using System.Text.Json;
using AlignFx.Abstractions.Runs;
using AlignFx.Host.Store;

namespace AlignFx.Host.Reports;

/// <summary>What reports read from the store, the same way at run time and in <c>alignfx report</c>.</summary>
internal static class StoreReads
{
    /// <summary>A metric's final value in a run: the last point of the last stage that logged it (as the compare summary reads it).</summary>
    public static Dictionary<string, double> FinalValues(RunStore store, string runId)
    {
        var finals = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (MetricSeries series in store.GetMetrics(runId).OrderBy(s => s.StageIndex ?? -1))
        {
            if (series.Values.Count > 0)
            {
                finals[series.Name] = series.Values[^1];
            }
        }
        return finals;
    }

    /// <summary>The metric's points in the last stage that logged it (the stage its final value comes from), or null.</summary>
    public static MetricSeries? LastSeries(RunStore store, string runId, string metric) =>
        store.GetMetrics(runId).Where(s => s.Name == metric && s.Values.Count > 0).OrderBy(s => s.StageIndex ?? -1).LastOrDefault();

    /// <summary>
    /// The report contributions the run's stages saved (<see cref="ReportContributions.Contribute"/>), in stage order; a
    /// file that is gone or unreadable is skipped (the report says what it has, not what it lost).
    /// </summary>
    public static IReadOnlyList<(int? StageIndex, ReportContribution Contribution)> Contributions(RunStore store, string runId)
    {
        var found = new List<(int?, ReportContribution)>();
        foreach (ArtifactEntry entry in store.GetArtifacts(runId).Where(a => a.Kind == ReportArtifactKinds.Contribution)
            .OrderBy(a => a.StageIndex ?? -1).ThenBy(a => a.RelativePath, StringComparer.Ordinal))
        {
            string path = Path.Combine(store.GetRunFolder(runId), entry.RelativePath);
            try
            {
                found.Add((entry.StageIndex, ReportContributions.Read(File.ReadAllText(path))));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
            {
                // Skipped: a contribution removed or damaged after the run.
            }
        }
        return found;
    }

    /// <summary>JSON for people: compact, with "+", "<" and non-ASCII written as they are (the page escapes markup itself).</summary>
    public static readonly JsonSerializerOptions ReadableJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A number for people: 4 significant figures, invariant culture, "n/a" for NaN.</summary>
    public static string Format(double value) => value switch
    {
        double.NaN => "n/a",
        double.PositiveInfinity => "∞",
        double.NegativeInfinity => "−∞",
        _ => value.ToString("G4", CultureInfo.InvariantCulture),
    };

    /// <summary>A p-value: three decimals, or scientific below 0.001.</summary>
    public static string FormatP(double p) =>
        double.IsNaN(p) ? "n/a" : p.ToString(p < 0.001 ? "0.0e0" : "0.000", CultureInfo.InvariantCulture);

    /// <summary>A count or integer-valued quantity.</summary>
    public static string Count(double value) =>
        double.IsNaN(value) ? "n/a" : value == Math.Round(value) ? value.ToString("0", CultureInfo.InvariantCulture) : Format(value);
}
