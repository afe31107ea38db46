using NUnit.Framework;
using PeftBench.Core.Tasks;
using PeftBench.Harness;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Running;

namespace PeftBench.Tests.Harness;

public class MajorityBaselineTests
{
    private static readonly Composition Composition = new();
    private static readonly DataOptions Fixtures = new(Path.Combine(AppContext.BaseDirectory, "fixtures", "glue"));

    [Test]
    public void PredictsTheMostFrequentTrainingClass()
    {
        // SST-2 fixture: train labels 0, 0, 1 → predicts 0; dev gold 1, 0 → accuracy 1/2.
        var r = MajorityBaseline.Compute(Composition.Tasks.Get("glue/sst2"), Fixtures, "tiny-bert", Profiles.Find("default")!, "cpu", 1);
        Assert.That(r.Metrics["accuracy"], Is.EqualTo(0.5));
        Assert.That(r.Cell.Method, Is.EqualTo(MajorityBaseline.MethodId));
        Assert.That(r.Parameters!.Trainable, Is.EqualTo(0));
        Assert.That(r.TaskScore, Is.EqualTo(0.5));
    }

    [Test]
    public void AConstantPredictionHasZeroCorrelationAndMcc()
    {
        var stsb = MajorityBaseline.Compute(Composition.Tasks.Get("glue/stsb"), Fixtures, "tiny-bert", Profiles.Find("default")!, "cpu", 1);
        Assert.That(stsb.Metrics["pearson"], Is.EqualTo(0.0));
        Assert.That(stsb.Metrics["spearman"], Is.EqualTo(0.0));
        var cola = MajorityBaseline.Compute(Composition.Tasks.Get("glue/cola"), Fixtures, "tiny-bert", Profiles.Find("default")!, "cpu", 1);
        Assert.That(cola.Metrics["mcc"], Is.EqualTo(0.0));
    }
}
