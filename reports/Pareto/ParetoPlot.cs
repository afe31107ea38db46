using System.Globalization;
using ScottPlot;

namespace PeftBench.Reports.Pareto;

/// <summary>One method (and budget) on the plot: x a cost or speed (parameters, MiB, examples/s), y ± error a score (already ×100).</summary>
public sealed record PlotPoint(string Label, string Family, double X, double Y, double? YError);

/// <summary>
/// Quality against a cost or speed axis (<see cref="ParetoAxis"/>), one labelled point per method coloured by
/// family with its std over seeds as an error bar, and the Pareto front drawn as a step line. A log axis is drawn
/// as log10(x) with ticks labelled 10^k (ScottPlot 5 has no log axis). Presentation only: the front comes from
/// <see cref="ParetoFront"/>.
/// </summary>
public static class ParetoPlot
{
    /// <summary>Writes PNG and SVG atomically. Points that cannot be placed (x ≤ 0 on a log axis, non-finite) are left out (returned).</summary>
    public static IReadOnlyList<PlotPoint> Save(IReadOnlyList<PlotPoint> points, string title, string yLabel,
        string pngPath, string svgPath, int width, int height, ParetoAxis? axis = null)
    {
        axis ??= ParetoAxis.Parameters;
        var plotted = points.Where(p => double.IsFinite(p.X) && (!axis.Log || p.X > 0) && double.IsFinite(p.Y)).ToList();
        var left = points.Except(plotted).ToList();
        double X(double x) => axis.Log ? Math.Log10(x) : x;

        using var plot = new Plot();
        plot.Title(title);
        plot.XLabel(axis.Label);
        plot.YLabel(yLabel);

        var families = plotted.Select(p => p.Family).Distinct().Order(StringComparer.Ordinal).ToList();
        var palette = FamilyPalette.For(families.Count);
        foreach (var (family, i) in families.Select((f, i) => (f, i)))
        {
            var color = palette.GetColor(i);
            var ps = plotted.Where(p => p.Family == family).ToList();
            var xs = ps.Select(p => X(p.X)).ToArray();
            var ys = ps.Select(p => p.Y).ToArray();
            var errors = ps.Select(p => p.YError ?? 0).ToArray();
            var bars = plot.Add.ErrorBar(xs, ys, errors);
            bars.Color = color;
            var markers = plot.Add.ScatterPoints(xs, ys);
            markers.Color = color;
            markers.MarkerSize = 9;
            markers.LegendText = family;
            foreach (var p in ps)
            {
                var text = plot.Add.Text(p.Label, X(p.X), p.Y);
                text.LabelFontSize = 11;
                text.LabelFontColor = color;
                text.LabelAlignment = Alignment.LowerLeft; // text above and right of its point, clear of the front line
                text.LabelOffsetX = 5;
                text.LabelOffsetY = -3;
            }
        }

        var front = ParetoFront.Compute(plotted.Select(p => new ParetoPoint(p.Label, p.X, p.Y)).ToList(), axis.LowerIsBetter);
        if (front.Count > 1)
        {
            // Ordered from the best x: horizontal then vertical steps trace the best score reachable at each cost.
            var line = plot.Add.Scatter(front.Select(p => X(p.X)).ToArray(), front.Select(p => p.Y).ToArray());
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.MarkerSize = 0;
            line.LineWidth = 1.5f;
            // Solid: SkiaSharp's SVG backend drops dash patterns (and logs each one).
            line.Color = Colors.Gray;
            line.LegendText = "Pareto front";
        }

        if (axis.Log) LogTicks(plot, plotted.Select(p => X(p.X)).DefaultIfEmpty(0).ToList());
        plot.ShowLegend(Alignment.LowerRight);

        AtomicFile.Write(pngPath, tmp => plot.SavePng(tmp, width, height));
        AtomicFile.Write(svgPath, tmp => plot.SaveSvg(tmp, width, height));
        return left;
    }

    /// <summary>Major ticks at every power of ten spanned (labelled 10^k), minor ticks at 2..9 × 10^k.</summary>
    static void LogTicks(Plot plot, List<double> logXs)
    {
        var lo = Math.Floor(logXs.Min());
        var hi = Math.Ceiling(logXs.Max());
        if (hi - lo < 1) hi = lo + 1;
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (var k = lo; k <= hi; k++)
        {
            ticks.AddMajor(k, "10^" + k.ToString("F0", CultureInfo.InvariantCulture));
            if (k < hi)
                for (var m = 2; m <= 9; m++) ticks.AddMinor(k + Math.Log10(m));
        }
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.SetLimitsX(lo - 0.1, hi + 0.1);
    }
}
