namespace AlignFx.Reporting;

/// <summary>
/// Everything a report shows, as data: the templates turn it into one self-contained HTML page. Builders (the host's
/// run and compare reports) fill it; nothing here knows HTML.
/// </summary>
/// <param name="Title">The page's title.</param>
/// <param name="Kind">What it reports: <see cref="ReportKinds.Run"/> or <see cref="ReportKinds.Compare"/>.</param>
/// <param name="Id">The run's or compare's id in the store.</param>
/// <param name="Description">A paragraph under the title, or null.</param>
/// <param name="Facts">Name/value rows shown first (id, seeds, status, ...).</param>
/// <param name="Sections">The report's sections, in order.</param>
/// <param name="Disclosure">Disclosure cards (Casper et al. 2023, Fig. 4): one for a run, one per arm for a compare.</param>
public sealed record Report(
    string Title,
    string Kind,
    string Id,
    string? Description,
    IReadOnlyList<ReportFact> Facts,
    IReadOnlyList<ReportSection> Sections,
    IReadOnlyList<DisclosureCard> Disclosure);

/// <summary>The kinds of report.</summary>
public static class ReportKinds
{
    /// <summary>A pipeline run's report.</summary>
    public const string Run = "run";

    /// <summary>A compare's report (arms × seeds).</summary>
    public const string Compare = "compare";
}

/// <summary>One name/value row.</summary>
/// <param name="Name">What it is.</param>
/// <param name="Value">Its value, formatted for people.</param>
public sealed record ReportFact(string Name, string Value);

/// <summary>A titled part of a report: text, tables, charts and transcripts, shown in that order.</summary>
/// <param name="Title">The heading.</param>
/// <param name="Text">A paragraph, or null.</param>
public sealed record ReportSection(string Title, string? Text)
{
    /// <summary>Tables of the section.</summary>
    public IReadOnlyList<ReportTable> Tables { get; init; } = [];

    /// <summary>Charts of the section.</summary>
    public IReadOnlyList<ReportChart> Charts { get; init; } = [];

    /// <summary>Transcripts (oversight debates, critiques) or other verbatim text.</summary>
    public IReadOnlyList<ReportTranscript> Transcripts { get; init; } = [];

    /// <summary>Dialogues (sample debates), shown turn by turn after the transcripts.</summary>
    public IReadOnlyList<ReportDialogue> Dialogues { get; init; } = [];
}

/// <summary>A dialogue: turns by speaker, with a title and how it ended.</summary>
/// <param name="Title">What it is (the question and its answers).</param>
/// <param name="Outcome">How it ended (the verdict, right or wrong), or null.</param>
/// <param name="Turns">The turns, in order.</param>
public sealed record ReportDialogue(string Title, string? Outcome, IReadOnlyList<ReportDialogueLine> Turns);

/// <summary>One turn of a dialogue.</summary>
/// <param name="Speaker">Who speaks.</param>
/// <param name="Text">What they say (plain text; the template escapes it).</param>
public sealed record ReportDialogueLine(string Speaker, string Text);

/// <summary>A table: a header row and rows of formatted cells.</summary>
/// <param name="Caption">A caption, or null.</param>
/// <param name="Columns">The header cells.</param>
/// <param name="Rows">The rows, each as long as <paramref name="Columns"/>.</param>
public sealed record ReportTable(string? Caption, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows);

/// <summary>A verbatim text block with a title.</summary>
/// <param name="Title">What it is (the method, the stage).</param>
/// <param name="Text">The text, shown preformatted.</param>
public sealed record ReportTranscript(string Title, string Text);

/// <summary>A line chart: one line per series, with a shaded band where the series has an interval.</summary>
/// <param name="Title">The chart's title.</param>
/// <param name="XLabel">The x axis's label.</param>
/// <param name="YLabel">The y axis's label.</param>
/// <param name="Series">The series, drawn in order.</param>
public sealed record ReportChart(string Title, string XLabel, string YLabel, IReadOnlyList<ChartSeries> Series);

/// <summary>One series of a chart.</summary>
/// <param name="Name">The legend's entry.</param>
/// <param name="Points">The points, in x order.</param>
public sealed record ChartSeries(string Name, IReadOnlyList<ChartPoint> Points);

/// <summary>A point with an optional interval (NaN bounds: none).</summary>
/// <param name="X">The x value.</param>
/// <param name="Y">The y value (the mean, for a series over seeds).</param>
/// <param name="Low">The interval's lower bound, or NaN.</param>
/// <param name="High">The interval's upper bound, or NaN.</param>
public readonly record struct ChartPoint(double X, double Y, double Low = double.NaN, double High = double.NaN)
{
    /// <summary>Whether the point has a finite interval.</summary>
    public bool HasInterval => double.IsFinite(Low) && double.IsFinite(High);
}

/// <summary>The RLHF disclosure card (Casper et al. 2023, Fig. 4) of one run or arm.</summary>
/// <param name="Title">Whose card it is.</param>
/// <param name="Groups">Human feedback, reward model, policy, systemic safety.</param>
public sealed record DisclosureCard(string Title, IReadOnlyList<DisclosureGroup> Groups);

/// <summary>One group of a disclosure card.</summary>
/// <param name="Title">The group's heading.</param>
/// <param name="Items">Its items.</param>
public sealed record DisclosureGroup(string Title, IReadOnlyList<ReportFact> Items);
