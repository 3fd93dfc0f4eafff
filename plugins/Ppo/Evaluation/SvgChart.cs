using System.Globalization;
using System.Net;
using System.Text;

namespace AlignFx.Ppo.Evaluation;

/// <summary>One line of a chart.</summary>
/// <param name="Name">The legend's text.</param>
/// <param name="Points">The points; non-finite ones are skipped.</param>
/// <param name="Dashed">Draw dashed without markers (fitted curves).</param>
internal sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points, bool Dashed = false);

/// <summary>
/// A line chart as inline SVG (XML-well-formed, no script): axes with rounded ticks, one colour per series, a legend.
/// Hand-written because no .NET plotting library is available to this project.
/// </summary>
internal static class SvgChart
{
    private const int Width = 600, Height = 340, Left = 64, Right = 180, Top = 34, Bottom = 48;
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

    /// <summary>The chart's SVG element.</summary>
    public static string Render(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series)
    {
        var finite = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        var svg = new StringBuilder();
        svg.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\">"));
        svg.Append(Inv($"<title>{Escape(title)}</title><rect x=\"0\" y=\"0\" width=\"{Width}\" height=\"{Height}\" fill=\"#ffffff\"/>"));
        svg.Append(Inv($"<text x=\"{Width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{Escape(title)}</text>"));
        if (finite.Count == 0)
        {
            svg.Append(Inv($"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#888888\">no data</text></svg>"));
            return svg.ToString();
        }
        var (x0, x1, xStep) = Axis(finite.Min(p => p.X), finite.Max(p => p.X));
        var (y0, y1, yStep) = Axis(finite.Min(p => p.Y), finite.Max(p => p.Y));
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double Px(double x) => Left + (x - x0) / (x1 - x0) * plotW;
        double Py(double y) => Top + plotH - (y - y0) / (y1 - y0) * plotH;

        svg.Append(Inv($"<g font-size=\"11\" fill=\"#333333\">"));
        for (double t = x0; t <= x1 + xStep / 2; t += xStep)
        {
            svg.Append(Inv($"<line x1=\"{Px(t):0.#}\" y1=\"{Top}\" x2=\"{Px(t):0.#}\" y2=\"{Top + plotH}\" stroke=\"#eeeeee\"/>"));
            svg.Append(Inv($"<text x=\"{Px(t):0.#}\" y=\"{Top + plotH + 16}\" text-anchor=\"middle\">{Tick(t, xStep)}</text>"));
        }
        for (double t = y0; t <= y1 + yStep / 2; t += yStep)
        {
            svg.Append(Inv($"<line x1=\"{Left}\" y1=\"{Py(t):0.#}\" x2=\"{Left + plotW}\" y2=\"{Py(t):0.#}\" stroke=\"#eeeeee\"/>"));
            svg.Append(Inv($"<text x=\"{Left - 6}\" y=\"{Py(t) + 4:0.#}\" text-anchor=\"end\">{Tick(t, yStep)}</text>"));
        }
        svg.Append(Inv($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#333333\"/>"));
        svg.Append(Inv($"<text x=\"{Left + plotW / 2}\" y=\"{Height - 10}\" text-anchor=\"middle\">{Escape(xLabel)}</text>"));
        svg.Append(Inv($"<text x=\"16\" y=\"{Top + plotH / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {Top + plotH / 2})\">{Escape(yLabel)}</text>"));
        svg.Append("</g>");

        for (int i = 0; i < series.Count; i++)
        {
            ChartSeries s = series[i];
            string colour = Palette[i % Palette.Length];
            var points = s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
            if (points.Count > 1)
            {
                string path = string.Join(" ", points.Select(p => Inv($"{Px(p.X):0.##},{Py(p.Y):0.##}")));
                svg.Append(Inv($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"{(s.Dashed ? 1.5 : 2)}\"{(s.Dashed ? " stroke-dasharray=\"6 4\"" : "")} points=\"{path}\"/>"));
            }
            if (!s.Dashed && points.Count <= 60)
            {
                foreach (var p in points)
                {
                    svg.Append(Inv($"<circle cx=\"{Px(p.X):0.##}\" cy=\"{Py(p.Y):0.##}\" r=\"2.5\" fill=\"{colour}\"/>"));
                }
            }
            double ly = Top + 8 + i * 18;
            svg.Append(Inv($"<line x1=\"{Width - Right + 12}\" y1=\"{ly}\" x2=\"{Width - Right + 34}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"2\"{(s.Dashed ? " stroke-dasharray=\"6 4\"" : "")}/>"));
            svg.Append(Inv($"<text x=\"{Width - Right + 40}\" y=\"{ly + 4}\" font-size=\"11\">{Escape(s.Name)}</text>"));
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>An axis range from rounded ticks (1, 2 or 5 times a power of ten) that covers [min, max].</summary>
    internal static (double Start, double End, double Step) Axis(double min, double max)
    {
        if (max - min < 1e-12 * Math.Max(1, Math.Abs(max)))
        {
            double pad = Math.Abs(max) > 0 ? Math.Abs(max) * 0.1 : 1;
            (min, max) = (min - pad, max + pad);
        }
        double raw = (max - min) / 5;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(m => m * magnitude).First(s => s >= raw);
        return (Math.Floor(min / step) * step, Math.Ceiling(max / step) * step, step);
    }

    private static string Tick(double value, double step)
    {
        int decimals = Math.Max(0, (int)-Math.Floor(Math.Log10(step) + 1e-9));
        double rounded = Math.Round(value, Math.Min(decimals, 12));
        return (rounded == 0 ? 0 : rounded).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
