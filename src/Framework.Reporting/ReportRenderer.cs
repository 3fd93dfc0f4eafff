using System.Text.Encodings.Web;
using System.Text.Unicode;
using Fluid;

namespace AlignFx.Reporting;

/// <summary>
/// Renders a <see cref="Report"/> as one self-contained HTML page (inline CSS, charts as inline SVG, no script and no
/// network) from the Liquid templates embedded in this assembly (<c>Templates/report.liquid</c>, <c>chart.liquid</c>).
/// The same report gives the same bytes.
/// </summary>
public static class ReportRenderer
{
    private const string PageTemplate = "report.liquid";
    private const string ChartTemplate = "chart.liquid";

    private static readonly FluidParser Parser = new();

    // Not strict: Fluid's strict mode takes a null member (no description, no caption) for an undefined one. The
    // renderer tests fill every field and find each in the page, which catches a misspelt name instead.
    private static readonly TemplateOptions Options = new TemplateOptionsBuilder().Build();

    // Non-ASCII text (±, →, names) stays readable; markup characters are escaped.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private static readonly Lazy<IFluidTemplate> Page = new(() => Load(PageTemplate));
    private static readonly Lazy<IFluidTemplate> Chart = new(() => Load(ChartTemplate));

    /// <summary>The page for <paramref name="report"/>.</summary>
    public static string Render(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sections = report.Sections.Select(s => new SectionView(s.Title, s.Text, s.Tables, [.. s.Charts.Select(RenderChart)], s.Transcripts, s.Dialogues)).ToList();
        return Page.Value.Render(new TemplateContext(new PageView(report, sections), Options), Encoder);
    }

    /// <summary>One chart as an SVG element.</summary>
    public static string RenderChart(ReportChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        return Chart.Value.Render(new TemplateContext(ChartLayout.Lay(chart), Options), Encoder).Trim();
    }

    private static IFluidTemplate Load(string name)
    {
        string resource = "AlignFx.Reporting.Templates." + name;
        using Stream stream = typeof(ReportRenderer).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The report template {resource} is not embedded in {typeof(ReportRenderer).Assembly.GetName().Name}; check the EmbeddedResource items of Framework.Reporting.csproj.");
        using var reader = new StreamReader(stream);
        string source = reader.ReadToEnd();
        return Parser.TryParse(source, out IFluidTemplate? template, out string? error)
            ? template
            : throw new InvalidOperationException($"The report template {name} does not parse: {error}");
    }

    /// <summary>What <c>report.liquid</c> reads: the report, with each section's charts already drawn.</summary>
    internal sealed record PageView(Report Report, IReadOnlyList<SectionView> Sections);

    /// <summary>A section with its charts as SVG text.</summary>
    internal sealed record SectionView(string Title, string? Text, IReadOnlyList<ReportTable> Tables, IReadOnlyList<string> Charts, IReadOnlyList<ReportTranscript> Transcripts,
        IReadOnlyList<ReportDialogue> Dialogues);
}
