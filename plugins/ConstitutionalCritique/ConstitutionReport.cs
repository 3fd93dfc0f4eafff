using System.Globalization;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Runs;

namespace AlignFx.ConstitutionalCritique;

/// <summary>
/// The constitution a run used, as report data (contracts 2.2: <see cref="ReportContribution"/>,
/// <see cref="DisclosureFact"/>): a section with one row per principle and a fact for the disclosure card's human
/// feedback group, where the constitution stands in for the instructions human labellers would have had.
/// </summary>
public static class ConstitutionReport
{
    /// <summary>The disclosure card item the constitution is stated under.</summary>
    public const string DisclosureItem = "Constitution";

    /// <summary>The report section's title.</summary>
    public const string SectionTitle = "Constitution";

    /// <summary>The longest request shown in a table cell.</summary>
    private const int RequestShown = 160;

    /// <summary>The constitution as a report section.</summary>
    /// <param name="constitution">The constitution.</param>
    /// <param name="usedBy">Who used it and how, for the section's paragraph (for example "ai-feedback labelled pairs under it").</param>
    /// <returns>The section.</returns>
    public static ReportSectionData Section(Constitution constitution, string usedBy)
    {
        ArgumentNullException.ThrowIfNull(constitution);
        double total = constitution.TotalWeight;
        var table = new ReportTableData("Principles", ["principle", "weight", "sampled", "concerns", "description", "critique request"],
            [.. constitution.Principles.Select(p => (IReadOnlyList<string>)
            [
                p.Name,
                p.Weight.ToString("0.###", CultureInfo.InvariantCulture),
                (p.Weight / total).ToString("0.0%", CultureInfo.InvariantCulture),
                p.Concerns.Count == 0 ? "(none: a wrong answer)" : string.Join(", ", p.Concerns),
                p.Description,
                Request(p.Critique),
            ])]);
        return new ReportSectionData(SectionTitle, $"{usedBy}; {constitution.Principles.Count} principle(s), one sampled per use with probability proportional to its weight.")
        {
            Tables = [table],
        };
    }

    /// <summary>The constitution as a disclosure fact.</summary>
    /// <param name="constitution">The constitution.</param>
    /// <param name="usedBy">Who used it and how.</param>
    /// <returns>The fact (group human feedback, item <see cref="DisclosureItem"/>).</returns>
    public static DisclosureFact Fact(Constitution constitution, string usedBy)
    {
        ArgumentNullException.ThrowIfNull(constitution);
        string principles = string.Join("; ", constitution.Principles.Select(p => string.Create(CultureInfo.InvariantCulture,
            $"{p.Name} (weight {p.Weight:0.###}): {(p.Description.Length > 0 ? p.Description : "no description")}")));
        return new DisclosureFact(DisclosureGroups.HumanFeedback, DisclosureItem,
            $"{usedBy}, under a constitution of {constitution.Principles.Count} principle(s) sampled by weight: {principles}.");
    }

    /// <summary>Section and fact together.</summary>
    /// <param name="constitution">The constitution.</param>
    /// <param name="usedBy">Who used it and how.</param>
    /// <returns>The contribution.</returns>
    public static ReportContribution Contribution(Constitution constitution, string usedBy) =>
        new([Fact(constitution, usedBy)], [Section(constitution, usedBy)]);

    private static string Request(Abstractions.Roles.RolePrompt? prompt)
    {
        string text = prompt?.Template ?? (prompt?.TemplateFile is { } file ? $"(template file {file})" : "(none)");
        text = text.ReplaceLineEndings(" / ");
        return text.Length > RequestShown ? text[..RequestShown] + "…" : text;
    }
}
