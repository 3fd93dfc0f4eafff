using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;

namespace AlignFx.Reporting.Tests;

/// <summary>The engine: Liquid templates, escaping, self-contained pages, chart layout.</summary>
public sealed class RendererTests
{
    internal static Report Sample(string title = "A title") => new(
        title, ReportKinds.Compare, "id-1", "A description.",
        [new ReportFact("fact-name", "fact-value")],
        [
            new ReportSection("Section one", "Section text.")
            {
                Tables = [new ReportTable("A caption", ["column-a", "column-b"], [["cell-1", "cell-2"]])],
                Charts =
                [
                    new ReportChart("chart-title", "x-label", "y-label",
                    [
                        new ChartSeries("banded", [new ChartPoint(0, 1, 0.5, 1.5), new ChartPoint(1, 2, 1.5, 2.5), new ChartPoint(2, 1.5, 1, 2)]),
                        new ChartSeries("lone", [new ChartPoint(1, 3, 2, 4)]),
                    ]),
                ],
                Transcripts = [new ReportTranscript("transcript-title", "transcript-text")],
            },
        ],
        [new DisclosureCard("card-title", [new DisclosureGroup("group-title", [new ReportFact("item-name", "item-value")])])]);

    [Fact]
    public void Every_field_of_a_report_appears_in_its_page()
    {
        string html = ReportRenderer.Render(Sample());

        foreach (string text in new[]
        {
            "<title>A title</title>", "A description.", "fact-name", "fact-value", "Section one", "Section text.", "A caption", "column-a",
            "cell-2", "chart-title", "x-label", "y-label", "data-series=\"banded\"", "data-series=\"lone\"", "transcript-title",
            "transcript-text", "card-title", "group-title", "item-name", "item-value",
        })
        {
            Assert.Contains(text, html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_page_is_self_contained_no_script_no_stylesheet_link_no_external_reference()
    {
        string html = ReportRenderer.Render(Sample());

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(new Regex(@"\s(src|href)\s*=", RegexOptions.IgnoreCase), html);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        // The only URL is the SVG namespace, which is a name, not a fetch.
        Assert.All(Regex.Matches(html, "https?://[^\"' <]+").Select(m => m.Value), url => Assert.Equal("http://www.w3.org/2000/svg", url));
    }

    [Fact]
    public void A_series_with_intervals_gets_a_band_and_a_lone_point_gets_an_error_bar()
    {
        string svg = ReportRenderer.RenderChart(Sample().Sections[0].Charts[0]);

        Match band = Regex.Match(svg, "<polygon class=\"band\" points=\"([^\"]+)\"");
        Assert.True(band.Success, svg);
        // Upper edge left to right, lower edge back: two vertices per point.
        Assert.Equal(6, band.Groups[1].Value.Split(' ').Length);
        Assert.Single(Regex.Matches(svg, "<polyline class=\"line\""));
        Assert.Single(Regex.Matches(svg, "<line class=\"errorbar\""));
        Assert.Single(Regex.Matches(svg, "<circle class=\"marker\""));
    }

    [Fact]
    public void A_chart_with_no_finite_value_says_so_instead_of_drawing_axes()
    {
        string svg = ReportRenderer.RenderChart(new ReportChart("empty", "x", "y", [new ChartSeries("s", [new ChartPoint(0, double.NaN)])]));

        Assert.Contains("no finite values to plot", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("<polyline", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_report_renders_to_the_same_bytes()
    {
        Assert.Equal(ReportRenderer.Render(Sample()), ReportRenderer.Render(Sample()));
    }

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public Property Text_from_the_store_cannot_add_markup_to_the_page(NonNull<string> text)
    {
        // Names and values come from manifests and plugins: whatever they hold, the page has no more tags than with plain text.
        string plain = ReportRenderer.Render(Sample("plain"));
        string hostile = ReportRenderer.Render(Sample(text.Get) with { Facts = [new ReportFact(text.Get, text.Get)] });
        return (plain.Count(c => c == '<') == hostile.Count(c => c == '<')).Label($"'<' count differs for {text.Get}");
    }

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Axis_ranges_cover_the_data_with_a_few_round_steps(NormalFloat a, NormalFloat b)
    {
        double lo = Math.Min(a.Get, b.Get), hi = Math.Max(a.Get, b.Get);
        var (from, to, step) = ChartLayout.NiceRange(lo, hi);
        double ticks = Math.Round((to - from) / step);
        double mantissa = step / Math.Pow(10, Math.Floor(Math.Log10(step)));
        return (from <= lo && to >= hi && step > 0 && ticks is >= 1 and <= 12
                && new[] { 1.0, 2.0, 5.0, 10.0 }.Any(m => Math.Abs(m - mantissa) < 1e-9))
            .Label($"[{lo}, {hi}] -> [{from}, {to}] by {step}");
    }
}
