using NUnit.Framework;
using PeftBench.Harness;
using PeftBench.Harness.Cli;
using PeftBench.Harness.Planning;
using PeftBench.Reports;
using Spectre.Console.Testing;

namespace PeftBench.Tests.Harness;

/// <summary>Zeroth-order methods through the real trainer: smoke cells train, record history and timings, and divergence is caught.</summary>
public class ZerothOrderRunTests
{
    private static readonly Composition Composition = new();

    private static RunRequest Request(string outDir, params string[] methods) => new()
    {
        Tasks = new[] { "glue/rte" }, Methods = methods, Profile = "smoke", Threads = 1, Out = outDir,
    };

    private static List<CellResult> Trained(string dir) =>
        ResultJson.ReadFolder(dir).Where(r => r.Cell.Method != PeftBench.Harness.Running.MajorityBaseline.MethodId).ToList();

    [Test]
    public void ZerothOrderCellsTrainThroughTheSharedLoop()
    {
        var dir = Directory.CreateTempSubdirectory("peftbench-zo").FullName;
        Assert.That(RunCommand.Execute(Request(dir, "mezo", "sparse-mezo"), Composition, new TestConsole()), Is.EqualTo(ExitCodes.Ok));
        var cells = Trained(dir);
        Assert.That(cells.Select(c => c.Cell.Method), Is.EquivalentTo(new[] { "mezo", "sparse-mezo" }));
        Assert.Multiple(() =>
        {
            foreach (var c in cells)
            {
                Assert.That(c.Status, Is.EqualTo(CellStatus.Ok), c.Error);
                Assert.That(c.Cell.MethodFamily, Is.EqualTo("zeroth-order"));
                Assert.That(c.Measurements!.Steps, Is.EqualTo(6));
                Assert.That(double.IsFinite(c.Measurements.FinalTrainLoss), c.Cell.Method);
                Assert.That(c.Measurements.TrainMsPerStep, Is.GreaterThan(0));
                Assert.That(c.History, Is.Not.Empty);
                Assert.That(c.Parameters!.Other, Is.EqualTo(c.Parameters.Backbone), "every backbone weight is stepped");
            }
        });
    }

    [Test]
    public void ADivergingZerothOrderCellIsRecordedAsDiverged()
    {
        var dir = Directory.CreateTempSubdirectory("peftbench-zo-diverge").FullName;
        var request = Request(dir, "mezo") with { Settings = new[] { "mezo.learning_rate=1e30" } };
        Assert.That(RunCommand.Execute(request, Composition, new TestConsole()), Is.EqualTo(ExitCodes.Ok));
        var cell = Trained(dir).Single();
        Assert.That(cell.Status, Is.EqualTo(CellStatus.Diverged));
        Assert.That(cell.Error, Does.Contain("non-finite"));
    }
}
