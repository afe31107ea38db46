using NUnit.Framework;
using PeftBench.Reports.Pareto;

namespace PeftBench.Tests.Reports;

public class ParetoFrontTests
{
    static ParetoPoint P(string label, double x, double y) => new(label, x, y);

    static string[] Labels(IReadOnlyList<ParetoPoint> ps) => ps.Select(p => p.Label).ToArray();

    [Test]
    public void HandMadeCase()
    {
        // Parameters (lower better) against score (higher better).
        var points = new[]
        {
            P("bitfit", 1_000, 80), P("ia3", 2_000, 79), // ia3 dominated by bitfit (more params, lower score)
            P("lora-r4", 10_000, 84), P("lora-r8", 20_000, 84), // r8: same score, more params → dominated
            P("adapter", 50_000, 83), // dominated by lora-r4
            P("full", 1_000_000, 86),
        };
        Assert.That(Labels(ParetoFront.Compute(points)), Is.EqualTo(new[] { "bitfit", "lora-r4", "full" }));
    }

    [Test]
    public void DuplatesAreAllKeptAndTiesKeepTheBetter()
    {
        var points = new[] { P("b", 10, 5), P("a", 10, 5), P("c", 10, 4), P("d", 20, 5) };
        Assert.That(Labels(ParetoFront.Compute(points)), Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public void NaNIsNeverOnTheFrontAndEmptyIsEmpty()
    {
        Assert.That(Labels(ParetoFront.Compute([P("nan", double.NaN, 9), P("ok", 5, 1)])), Is.EqualTo(new[] { "ok" }));
        Assert.That(ParetoFront.Compute([]), Is.Empty);
    }

    [Test]
    public void DirectionsCanBeFlipped()
    {
        var points = new[] { P("small-low", 1, 1), P("big-high", 2, 2) };
        Assert.That(Labels(ParetoFront.Compute(points, xLowerIsBetter: true, yHigherIsBetter: true)), Is.EqualTo(new[] { "small-low", "big-high" }));
        Assert.That(Labels(ParetoFront.Compute(points, xLowerIsBetter: false, yHigherIsBetter: true)), Is.EqualTo(new[] { "big-high" }));
        Assert.That(Labels(ParetoFront.Compute(points, xLowerIsBetter: true, yHigherIsBetter: false)), Is.EqualTo(new[] { "small-low" }));
    }
}
