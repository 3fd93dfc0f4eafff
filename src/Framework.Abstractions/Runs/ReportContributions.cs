using System.Text.Json;

namespace AlignFx.Abstractions.Runs;

/// <summary>The groups of the RLHF disclosure card (Casper et al. 2023, Fig. 4).</summary>
public static class DisclosureGroups
{
    /// <summary>Who labelled, how they were chosen and instructed, how examples were selected, feedback type, quality assurance.</summary>
    public const string HumanFeedback = "Human feedback";

    /// <summary>The reward model's loss and evaluation.</summary>
    public const string RewardModel = "Reward model";

    /// <summary>The policy's evaluation and optimisation.</summary>
    public const string Policy = "Policy";

    /// <summary>Audits, expected risks, monitoring.</summary>
    public const string SystemicSafety = "Systemic safety";
}

/// <summary>
/// One item of the disclosure card, stated by the component that knows it (a reward model its loss, a feedback source
/// its flaws). The host's card shows it in place of what it could infer from the manifest alone.
/// </summary>
/// <param name="Group">One of <see cref="DisclosureGroups"/>.</param>
/// <param name="Item">The item, for example <c>"Loss function"</c> or <c>"Quality assurance"</c>.</param>
/// <param name="Text">What to disclose, in plain text.</param>
public sealed record DisclosureFact(string Group, string Item, string Text);

/// <summary>A component that states facts about itself for the disclosure card.</summary>
public interface IDisclosesFacts
{
    /// <summary>The facts, as configured (they may depend on the component's options).</summary>
    IReadOnlyList<DisclosureFact> DisclosureFacts { get; }
}

/// <summary>A table a plugin contributes to the report (cells already formatted).</summary>
/// <param name="Title">The table's caption.</param>
/// <param name="Columns">The header cells.</param>
/// <param name="Rows">The rows, each as long as <paramref name="Columns"/>.</param>
public sealed record ReportTableData(string Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows);

/// <summary>A series a plugin contributes; the report draws it as a line chart.</summary>
/// <param name="Name">The series' (and chart's) name.</param>
/// <param name="XLabel">What x is, for example <c>"step"</c>.</param>
/// <param name="X">The x values.</param>
/// <param name="Y">The y values, as many as <paramref name="X"/>.</param>
public sealed record ReportSeriesData(string Name, string XLabel, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// A chart of several series on shared axes a plugin contributes (contracts 2.3): one line per series, for example
/// gold accuracy on all, checkable and uncheckable items against sqrt(KL).
/// </summary>
/// <param name="Title">The chart's title.</param>
/// <param name="XLabel">The x axis's label.</param>
/// <param name="YLabel">The y axis's label.</param>
/// <param name="Series">The series, drawn in order (each series' own <see cref="ReportSeriesData.XLabel"/> is not shown).</param>
public sealed record ReportChartData(string Title, string XLabel, string YLabel, IReadOnlyList<ReportSeriesData> Series);

/// <summary>A report section a plugin contributes: data, never markup.</summary>
/// <param name="Title">The section's heading.</param>
/// <param name="Text">A paragraph, or null.</param>
public sealed record ReportSectionData(string Title, string? Text)
{
    /// <summary>Tables.</summary>
    public IReadOnlyList<ReportTableData> Tables { get; init; } = [];

    /// <summary>Series, one chart each.</summary>
    public IReadOnlyList<ReportSeriesData> Series { get; init; } = [];

    /// <summary>Charts of several series each, after <see cref="Series"/>' charts (contracts 2.3).</summary>
    public IReadOnlyList<ReportChartData> Charts { get; init; } = [];

    /// <summary>Verbatim texts (transcripts, samples), shown preformatted.</summary>
    public IReadOnlyList<string> Texts { get; init; } = [];

    /// <summary>Dialogues (debates, consultancies), shown turn by turn with their speakers. Added in contracts 2.3.</summary>
    public IReadOnlyList<ReportDialogueData> Dialogues { get; init; } = [];
}

/// <summary>What a stage adds to its run's report: disclosure facts and sections.</summary>
/// <param name="Disclosure">Facts for the disclosure card.</param>
/// <param name="Sections">Sections shown after the stage's own.</param>
public sealed record ReportContribution(IReadOnlyList<DisclosureFact> Disclosure, IReadOnlyList<ReportSectionData> Sections);

/// <summary>Writing and reading <see cref="ReportContribution"/>s: a JSON file in the run's folder, indexed in the store.</summary>
public static class ReportContributions
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>
    /// Saves <paramref name="contribution"/> as <c>report/&lt;name&gt;.json</c> under the run's folder, registered as a
    /// <see cref="ReportArtifactKinds.Contribution"/> of the current stage; the host's report shows it.
    /// </summary>
    /// <param name="files">The stage's artifact store.</param>
    /// <param name="name">A file name (letters, digits, <c>-</c>, <c>_</c>, <c>.</c>), unique within the run.</param>
    /// <param name="contribution">What to add to the report.</param>
    public static void Contribute(this IArtifactStore files, string name, ReportContribution contribution)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(contribution);
        if (name.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.')))
        {
            throw new ArgumentException($"A report contribution's name is a file name of letters, digits, '-', '_' and '.', not '{name}'.", nameof(name));
        }
        string relative = $"report/{name}.json";
        File.WriteAllText(files.GetPath(relative), JsonSerializer.Serialize(contribution, Json));
        files.Register(relative, ReportArtifactKinds.Contribution, "Report data: disclosure facts and sections");
    }

    /// <summary>Reads a contribution saved by <see cref="Contribute"/>.</summary>
    /// <param name="json">The file's text.</param>
    /// <returns>The contribution.</returns>
    /// <exception cref="JsonException">The text is not a contribution.</exception>
    public static ReportContribution Read(string json) =>
        JsonSerializer.Deserialize<ReportContribution>(json, Json) ?? throw new JsonException("A report contribution file holds null.");
}
