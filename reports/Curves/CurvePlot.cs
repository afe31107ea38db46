using ScottPlot;

namespace PeftBench.Reports.Curves;

/// <summary>
/// Training-curve figures: one cell's loss (left axis) and dev score (right axis) against steps, and one task's
/// lines of every method overlaid (loss or dev score). Presentation only; the lines come from <see cref="CurveSeries"/>.
/// </summary>
public static class CurvePlot
{
    public const string StepLabel = "Training step";

    /// <summary>Writes one cell's curves as SVG (and PNG when a path is given); false when the cell recorded no history.</summary>
    public static bool SaveCell(CellResult c, double scale, string svgPath, string? pngPath, int width, int height)
    {
        var loss = CurveSeries.OfCell(c, CurveKind.TrainLoss);
        var dev = CurveSeries.OfCell(c, CurveKind.DevScore, scale);
        if (loss.Count == 0 && dev.Count == 0) return false;
        using var plot = new Plot();
        plot.Title($"{c.Cell.Task} · {c.Cell.Method}{(c.Cell.Budget is null ? "" : $" ({c.Cell.Budget})")} · seed {c.Cell.Seed}");
        plot.XLabel(StepLabel);
        plot.YLabel("Training loss");
        if (loss.Count > 0)
        {
            var l = plot.Add.Scatter(loss.Select(p => (double)p.Step).ToArray(), loss.Select(p => p.Value).ToArray());
            l.LegendText = "training loss";
            l.MarkerSize = loss.Count > 30 ? 0 : 4;
        }
        if (dev.Count > 0)
        {
            var d = plot.Add.Scatter(dev.Select(p => (double)p.Step).ToArray(), dev.Select(p => p.Value).ToArray());
            d.Axes.YAxis = plot.Axes.Right;
            d.LegendText = $"dev {c.PrimaryMetric ?? "score"}";
            d.MarkerSize = 7;
            d.MarkerShape = MarkerShape.FilledSquare;
            plot.Axes.Right.Label.Text = $"Dev {c.PrimaryMetric ?? "score"}";
        }
        plot.ShowLegend(Alignment.UpperRight);
        Save(plot, svgPath, pngPath, width, height);
        return true;
    }

    /// <summary>
    /// Every method's line on one task, coloured by family; methods of one family share a hue and are told apart by
    /// marker shape (not by dash pattern: SkiaSharp's SVG backend cannot draw dashes and logs each one it drops).
    /// </summary>
    public static void SaveOverlay(IReadOnlyList<CurveLine> lines, string title, string yLabel, string svgPath, string? pngPath, int width, int height)
    {
        using var plot = new Plot();
        plot.Title(title);
        plot.XLabel(StepLabel);
        plot.YLabel(yLabel);
        var families = lines.Select(l => l.Family).Distinct().Order(StringComparer.Ordinal).ToList();
        var palette = FamilyPalette.For(families.Count);
        var shapes = new[] { MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond, MarkerShape.OpenCircle };
        foreach (var line in lines)
        {
            var sameFamily = lines.Where(l => l.Family == line.Family).ToList();
            var scatter = plot.Add.Scatter(line.Points.Select(p => (double)p.Step).ToArray(), line.Points.Select(p => p.Value).ToArray());
            scatter.Color = palette.GetColor(families.IndexOf(line.Family));
            scatter.MarkerShape = shapes[sameFamily.IndexOf(line) % shapes.Length];
            scatter.LineWidth = 2;
            scatter.MarkerSize = line.Points.Count > 30 && sameFamily.Count == 1 ? 0 : 6;
            scatter.LegendText = line.Label;
        }
        plot.ShowLegend(Alignment.UpperRight);
        Save(plot, svgPath, pngPath, width, height);
    }

    static void Save(Plot plot, string svgPath, string? pngPath, int width, int height)
    {
        AtomicFile.Write(svgPath, tmp => plot.SaveSvg(tmp, width, height));
        if (pngPath is not null) AtomicFile.Write(pngPath, tmp => plot.SavePng(tmp, width, height));
    }
}
