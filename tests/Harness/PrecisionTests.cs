using NUnit.Framework;
using PeftBench.Core.Sites;
using PeftBench.Harness;
using PeftBench.Harness.Cli;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Probes;
using PeftBench.Reports;
using Spectre.Console.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Tests.Harness;

/// <summary><c>--precision bf16</c>: what it computes, what it records, how it keys cells, and what it refuses.</summary>
public class PrecisionTests
{
    private static readonly Composition Composition = new();

    private static RunRequest Request(string outDir) => new()
    {
        Tasks = ["glue/rte"], Methods = ["lora"], Profile = "smoke", Threads = 1, Out = outDir,
    };

    [Test]
    public void Bf16ProjectionsComputeInBf16ReturnFp32AndTrainFp32MasterWeights()
    {
        torch.manual_seed(3);
        using var linear = new AdaptableLinear(64, 32, SiteRoles.Query, 0);
        using var x = randn(8, 64);
        using var reference = linear.call(x).detach();
        linear.BaseComputeType = ScalarType.BFloat16;
        using var y = linear.call(x);
        Assert.That(y.dtype, Is.EqualTo(ScalarType.Float32), "the product returns to the input's type for adapters, norms and loss");
        Assert.That(linear.weight.dtype, Is.EqualTo(ScalarType.Float32), "stored weights stay fp32");
        var error = (y - reference).abs().max().item<float>();
        Assert.That(error, Is.GreaterThan(0f), "bf16 rounding must be visible, or the product did not run in bf16");
        Assert.That(error, Is.LessThan(0.05f));
        y.sum().backward();
        Assert.That(linear.weight.grad, Is.Not.Null);
        Assert.That(linear.weight.grad!.dtype, Is.EqualTo(ScalarType.Float32), "gradients flow through the casts to the fp32 master weight");
    }

    [Test]
    public void ABf16SmokeCellRunsWithAFiniteLossCloseToFp32s()
    {
        var fp32 = Directory.CreateTempSubdirectory("peftbench-fp32").FullName;
        var bf16 = Directory.CreateTempSubdirectory("peftbench-bf16").FullName;
        Assert.That(RunCommand.Execute(Request(fp32), Composition, new TestConsole()), Is.EqualTo(ExitCodes.Ok));
        Assert.That(RunCommand.Execute(Request(bf16) with { Precision = "bf16" }, Composition, new TestConsole()), Is.EqualTo(ExitCodes.Ok));
        var a = ResultJson.ReadFolder(fp32).Single(r => r.Cell.Method == "lora");
        var b = ResultJson.ReadFolder(bf16).Single(r => r.Cell.Method == "lora");
        Assert.That(b.Status, Is.EqualTo(CellStatus.Ok), b.Error);
        Assert.That(b.Key, Is.Not.EqualTo(a.Key), "precision is part of the key");
        Assert.That(b.Cell.Precision, Is.EqualTo("bf16"));
        Assert.That(a.Cell.Precision, Is.EqualTo("fp32"));
        Assert.That(b.Provenance!.Precision, Does.Contain("bf16").And.Contain("emulated autocast"));
        var lossA = a.Measurements!.FinalTrainLoss;
        var lossB = b.Measurements!.FinalTrainLoss;
        Assert.That(double.IsFinite(lossB), Is.True);
        Assert.That(lossB, Is.EqualTo(lossA).Within(0.05), "bf16 projections change the loss by rounding only");
        Assert.That(lossB, Is.Not.EqualTo(lossA), "bf16 must change something, or it was not applied");
    }

    [Test]
    public void Fp32KeepsTheKeysItHadBeforeThePrecisionOption()
    {
        var plan = Planner.Plan(Request(Path.GetTempPath()), Composition.PlanningContext());
        Assert.That(plan.Cells.Single().Identity.ContainsKey("precision"), Is.False);
        Assert.That(plan.Cells.Single().Key, Is.EqualTo(CellKey.Compute(plan.Cells.Single().Identity)));
        var bf16 = Planner.Plan(Request(Path.GetTempPath()) with { Precision = "bf16" }, Composition.PlanningContext());
        Assert.That(bf16.Cells.Single().Identity["precision"]!.GetValue<string>(), Is.EqualTo("bf16"));
    }

    [Test]
    public void Bf16RunsGetTheirOwnDefaultFolder()
    {
        var plan = Planner.Plan(Request(Path.GetTempPath()) with { Out = null, Precision = "bf16" }, Composition.PlanningContext());
        Assert.That(Path.GetFileName(plan.OutputDirectory), Is.EqualTo("custom-smoke-bf16"));
    }

    [Test]
    public void AnUnknownPrecisionIsRefusedBeforeTraining()
    {
        var e = Assert.Throws<PlanException>(() => Planner.Plan(Request(Path.GetTempPath()) with { Precision = "fp16" }, Composition.PlanningContext()));
        Assert.That(e!.Problems, Has.Some.Contains("unknown --precision 'fp16'. Known: fp32, bf16."));
    }

    [Test]
    public void TheCpuComputesBf16()
    {
        Assert.That(Bf16Support.Problem("cpu"), Is.Null);
    }

    /// <summary>No GPU here: the decision on a GPU's compute capability (read from nvidia-smi there) is checked alone.</summary>
    [Test]
    public void GpusBeforeAmpereAreRefusedWithTheirCapability()
    {
        Assert.That(Bf16Support.CapabilityProblem("cuda:1", 7.0), Does.Contain("cuda:1 has compute capability 7.0").And.Contain("needs 8.0"));
        Assert.That(Bf16Support.CapabilityProblem("cuda:0", 8.0), Is.Null);
        Assert.That(Bf16Support.CapabilityProblem("cuda:0", 9.0), Is.Null);
    }
}
