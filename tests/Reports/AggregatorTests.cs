using NUnit.Framework;
using PeftBench.Reports;
using PeftBench.Reports.Aggregation;

namespace PeftBench.Tests.Reports;

public class AggregatorTests
{
    static readonly MethodKey Lora = new(CellBuilder.Model, "lora", "0.5%");
    static readonly MethodKey Bitfit = new(CellBuilder.Model, "bitfit", null);
    static readonly MethodKey Prefix = new(CellBuilder.Model, "prefix", "0.5%");
    static readonly MethodKey Ia3 = new(CellBuilder.Model, "ia3", null);

    [Test]
    public void GroupsOkCellsOverSeeds()
    {
        var s = Aggregator.Summarize(CellBuilder.GlueRun());
        var g = s.Group("glue/sst2", Lora)!;
        Assert.That(g.N, Is.EqualTo(3));
        Assert.That(g.Seeds, Is.EqualTo(new long[] { 1, 2, 3 }));
        // 0.79 + 0.08 + 0.015 (lora's SST-2 bonus) + {−0.010, 0.004, 0.006}
        Assert.That(g.TaskScore!.Mean, Is.EqualTo(0.885).Within(1e-12));
        Assert.That(g.Metrics["accuracy"].Std, Is.EqualTo(Std(-0.010, 0.004, 0.006)).Within(1e-12));
        Assert.That(g.Parameters!.MethodTrainable, Is.EqualTo(7_168));
    }

    [Test]
    public void FailedCellsAreCountedNotAveraged()
    {
        var s = Aggregator.Summarize(CellBuilder.GlueRun());
        var mrpc = s.Group("glue/mrpc", Bitfit)!;
        Assert.That((mrpc.N, mrpc.NotOk), Is.EqualTo((2, 1)));
        Assert.That(mrpc.TaskScore!.Mean, Is.EqualTo(0.75 + 0.02 + 0.005 + (-0.010 + 0.004) / 2).Within(1e-12));
        var stsb = s.Group("glue/stsb", Prefix)!;
        Assert.That((stsb.N, stsb.NotOk, stsb.TaskScore), Is.EqualTo((0, 3, (SampleStats?)null)));
        Assert.That(s.NotOk, Has.Count.EqualTo(4));
        Assert.That(s.NotOk.Count(c => c.Status == CellStatus.Diverged), Is.EqualTo(3));
    }

    [Test]
    public void SuiteAverageIsPerSeedThenOverSeeds()
    {
        var s = Aggregator.Summarize(CellBuilder.GlueRun());
        var a = s.Average("glue", Lora)!;
        // Per seed: mean of the four task scores; MRPC and STS-B score = mean of two metrics (v, v + 0.01).
        double PerSeed(double w) => ((0.49 + w) + (0.885 + w) + (0.81 + w + 0.005) + (0.79 + w + 0.005)) / 4;
        Assert.That(a.PerSeed[1], Is.EqualTo(PerSeed(-0.010)).Within(1e-12));
        Assert.That(a.Score!.N, Is.EqualTo(3));
        Assert.That(a.Score.Mean, Is.EqualTo(new[] { -0.010, 0.004, 0.006 }.Average(PerSeed)).Within(1e-12));
        Assert.That(a.IncompleteTasks, Is.Empty);
    }

    [Test]
    public void SuiteAverageSkipsIncompleteSeedsAndNeedsOne()
    {
        var s = Aggregator.Summarize(CellBuilder.GlueRun());
        var bitfit = s.Average("glue", Bitfit)!;
        Assert.That(bitfit.Score!.N, Is.EqualTo(2));
        Assert.That(bitfit.PerSeed.Keys, Is.EquivalentTo(new long[] { 1, 2 }));
        Assert.That(bitfit.IncompleteTasks, Is.EqualTo(new[] { "glue/mrpc" }));
        var prefix = s.Average("glue", Prefix)!;
        Assert.That(prefix.Score, Is.Null);
        Assert.That(prefix.IncompleteTasks, Is.EqualTo(new[] { "glue/stsb" }));
        Assert.That(s.Average("glue", Ia3)!.Score!.Std, Is.Null, "one seed: no std");
    }

    [Test]
    public void GivenSuiteTasksCountTasksNobodyRan()
    {
        var options = new ReportOptions { SuiteTasks = new Dictionary<string, IReadOnlyList<string>> { ["glue"] = [.. CellBuilder.TaskMetrics.Keys, "glue/rte"] } };
        var s = Aggregator.Summarize(CellBuilder.GlueRun(), options);
        Assert.That(s.Average("glue", Lora)!.Score, Is.Null);
        Assert.That(s.Average("glue", Lora)!.IncompleteTasks, Is.EqualTo(new[] { "glue/rte" }));
    }

    [Test]
    public void OrderOfInputDoesNotMatter()
    {
        var cells = CellBuilder.GlueRun();
        var a = Aggregator.Summarize(cells);
        var b = Aggregator.Summarize(Enumerable.Reverse(cells).ToList());
        Assert.That(ResultsMarkdown.Render(b, new ReportOptions(), []), Is.EqualTo(ResultsMarkdown.Render(a, new ReportOptions(), [])));
    }

    static double Std(params double[] xs)
    {
        var m = xs.Average();
        return Math.Sqrt(xs.Sum(x => (x - m) * (x - m)) / (xs.Length - 1));
    }
}
