using System.Globalization;

namespace AlignFx.Reporting;

/// <summary>
/// Where a chart's marks go: axes with round ticks, each series as polyline points, its interval band as a polygon,
/// single points as markers with error bars. Only numbers and coordinates; <c>chart.liquid</c> draws them as SVG.
/// </summary>
internal static class ChartLayout
{
    public const int Width = 640;
    public const int Height = 300;
    private const double Left = 64, Right = 470, Top = 28, Bottom = 250;

    /// <summary>Colours for series, in order (the Tableau 10 palette; colour-blind friendly enough for a few arms).</summary>
    private static readonly string[] Palette =
        ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    public static ChartView Lay(ReportChart chart)
    {
        var points = chart.Series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        if (points.Count == 0)
        {
            return new ChartView(chart.Title, chart.XLabel, chart.YLabel, Width, Height, Frame, [], [], [], "no finite values to plot");
        }
        double xMin = points.Min(p => p.X), xMax = points.Max(p => p.X);
        double yMin = points.Min(p => p.HasInterval ? Math.Min(p.Low, p.Y) : p.Y);
        double yMax = points.Max(p => p.HasInterval ? Math.Max(p.High, p.Y) : p.Y);
        (double x0, double x1, double xStep) = NiceRange(xMin, xMax);
        (double y0, double y1, double yStep) = NiceRange(yMin, yMax);
        double X(double x) => Left + ((x - x0) / (x1 - x0) * (Right - Left));
        double Y(double y) => Bottom - ((y - y0) / (y1 - y0) * (Bottom - Top));

        var series = new List<SeriesView>();
        for (int i = 0; i < chart.Series.Count; i++)
        {
            var finite = chart.Series[i].Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).OrderBy(p => p.X).ToList();
            string colour = Palette[i % Palette.Length];
            var banded = finite.Where(p => p.HasInterval).ToList();
            string band = finite.Count > 1 && banded.Count > 1
                ? string.Join(" ", banded.Select(p => Pair(X(p.X), Y(p.High))).Concat(banded.AsEnumerable().Reverse().Select(p => Pair(X(p.X), Y(p.Low)))))
                : "";
            string line = finite.Count > 1 ? string.Join(" ", finite.Select(p => Pair(X(p.X), Y(p.Y)))) : "";
            IReadOnlyList<MarkerView> markers = finite.Count == 1
                ? [.. finite.Select(p => new MarkerView(Coord(X(p.X)), Coord(Y(p.Y)),
                    p.HasInterval ? Coord(Y(p.High)) : Coord(Y(p.Y)), p.HasInterval ? Coord(Y(p.Low)) : Coord(Y(p.Y))))]
                : [];
            series.Add(new SeriesView(chart.Series[i].Name, colour, line, band, markers, Coord(Top + 6 + (i * 18)), Coord(Top + 10 + (i * 18))));
        }
        return new ChartView(chart.Title, chart.XLabel, chart.YLabel, Width, Height, Frame,
            Ticks(x0, x1, xStep, X), Ticks(y0, y1, yStep, Y), series, null);
    }

    private static FrameView Frame => new(Coord(Left), Coord(Right), Coord(Top), Coord(Bottom), Coord((Left + Right) / 2), Coord(Bottom + 40),
        Coord(Right + 16), Coord(Right + 36), Coord(Right + 42), Coord((Top + Bottom) / 2));

    private static List<TickView> Ticks(double from, double to, double step, Func<double, double> map)
    {
        var ticks = new List<TickView>();
        for (int k = 0; ; k++)
        {
            double value = from + (k * step);
            if (value > to + (step * 1e-9))
            {
                break;
            }
            ticks.Add(new TickView(Coord(map(value)), Label(Math.Abs(value) < step * 1e-9 ? 0 : value)));
        }
        return ticks;
    }

    /// <summary>A range that covers [lo, hi] with round ends and about five round steps (1, 2 or 5 times a power of ten).</summary>
    internal static (double From, double To, double Step) NiceRange(double lo, double hi)
    {
        if (hi - lo < 1e-12 * Math.Max(1, Math.Abs(hi)))
        {
            double pad = Math.Abs(lo) > 0 ? Math.Abs(lo) * 0.1 : 1;
            (lo, hi) = (lo - pad, hi + pad);
        }
        double raw = (hi - lo) / 5;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = (raw / magnitude) switch { <= 1 => magnitude, <= 2 => 2 * magnitude, <= 5 => 5 * magnitude, _ => 10 * magnitude };
        return (Math.Floor(lo / step) * step, Math.Ceiling(hi / step) * step, step);
    }

    private static string Label(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    private static string Pair(double x, double y) => Coord(x) + "," + Coord(y);

    private static string Coord(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}

/// <summary>A laid-out chart, what <c>chart.liquid</c> reads.</summary>
internal sealed record ChartView(
    string Title, string XLabel, string YLabel, int Width, int Height, FrameView Frame,
    IReadOnlyList<TickView> XTicks, IReadOnlyList<TickView> YTicks, IReadOnlyList<SeriesView> Series, string? Empty);

/// <summary>The plot area's edges and where the axis labels and legend go.</summary>
internal sealed record FrameView(
    string Left, string Right, string Top, string Bottom, string XLabelX, string XLabelY,
    string LegendX, string LegendLineEnd, string LegendTextX, string YLabelY);

/// <summary>A tick: its coordinate along the axis and its label.</summary>
internal sealed record TickView(string At, string Label);

/// <summary>A series laid out: polyline points, band polygon points (empty: none), markers for a lone point.</summary>
internal sealed record SeriesView(string Name, string Colour, string Line, string Band, IReadOnlyList<MarkerView> Markers, string LegendY, string LegendTextY);

/// <summary>A lone point with its error bar.</summary>
internal sealed record MarkerView(string X, string Y, string High, string Low);
