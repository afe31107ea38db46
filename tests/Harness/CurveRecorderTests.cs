using NUnit.Framework;
using PeftBench.Harness.Running;

namespace PeftBench.Tests.Harness;

public class CurveRecorderTests
{
    [Test]
    public void ShortRunsLogEveryStepAndDevAtEvenSteps()
    {
        var r = new CurveRecorder(totalSteps: 6, devEvaluations: 3);
        var due = Enumerable.Range(1, 6).Where(step => r.Add(step, step * 0.1)).ToList();
        Assert.That(due, Is.EqualTo(new[] { 2, 4, 6 }));
        r.SetDev(4, 0.7);
        Assert.That(r.Points.Select(p => p.Step), Is.EqualTo(new[] { 1, 2, 3, 4, 5, 6 }));
        Assert.That(r.Points[3].DevScore, Is.EqualTo(0.7));
        Assert.That(r.Points[0].DevScore, Is.Null);
    }

    [Test]
    public void LongRunsAverageTheLossOverWindows()
    {
        // 250 steps, at most 100 points: windows of 3 steps; the last point closes the run.
        var r = new CurveRecorder(totalSteps: 250, devEvaluations: 0);
        for (var step = 1; step <= 250; step++) Assert.That(r.Add(step, step), Is.False);
        Assert.That(r.Points, Has.Count.LessThanOrEqualTo(Trainer.MaxLossPoints));
        Assert.That(r.Points[0], Is.EqualTo(new PeftBench.Reports.HistoryPoint(3, 2.0, null)), "mean of 1, 2, 3");
        Assert.That(r.Points[^1], Is.EqualTo(new PeftBench.Reports.HistoryPoint(250, 250.0, null)), "249 closed a window; 250 alone");
    }
}
