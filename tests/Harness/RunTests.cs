using NUnit.Framework;
using PeftBench.Harness;
using PeftBench.Harness.Cli;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Storage;
using PeftBench.Reports;
using Spectre.Console.Testing;

namespace PeftBench.Tests.Harness;

/// <summary>Runs real smoke cells on tiny-bert: resume, failure recording, determinism, outputs.</summary>
public class RunTests
{
    private static readonly Composition Composition = new();

    private static RunRequest Request(string outDir, params string[] methods) => new()
    {
        Tasks = new[] { "glue/rte", "glue/stsb" }, Methods = methods, Profile = "smoke", Threads = 1, Out = outDir,
    };

    private static IEnumerable<CellResult> Trained(string dir) =>
        ResultJson.ReadFolder(dir).Where(r => r.Cell.Method != PeftBench.Harness.Running.MajorityBaseline.MethodId);

    [Test]
    public void TheMajorityClassReferenceIsWrittenBesideTheCells()
    {
        var dir = Directory.CreateTempSubdirectory("peftbench-reference").FullName;
        RunCommand.Execute(Request(dir, "linear-probe"), Composition, new TestConsole());
        var references = ResultJson.ReadFolder(dir).Where(r => r.Cell.Method == PeftBench.Harness.Running.MajorityBaseline.MethodId).ToList();
        Assert.That(references.Select(r => r.Cell.Task), Is.EquivalentTo(new[] { "glue/rte", "glue/stsb" }));
        Assert.That(File.ReadAllText(Path.Combine(dir, "results.md")), Does.Contain("majority-class"));
    }

    [Test]
    public void ADecoderRunsClassificationCellsThroughItsScoreHead()
    {
        var dir = Directory.CreateTempSubdirectory("peftbench-decoder").FullName;
        var request = Request(dir, "lora", "prompt-tuning") with { Tasks = new[] { "glue/rte" }, Models = new[] { "tiny-llama" } };
        Assert.That(RunCommand.Execute(request, Composition, new TestConsole()), Is.EqualTo(ExitCodes.Ok));
        var cells = Trained(dir).ToList();
        Assert.That(cells.Select(c => (c.Cell.Model, c.Cell.Method, c.Status)),
            Is.EquivalentTo(new[] { ("tiny-llama", "lora", CellStatus.Ok), ("tiny-llama", "prompt-tuning", CellStatus.Ok) }));
        Assert.That(cells.Single(c => c.Cell.Method == "lora").Parameters!.Head, Is.EqualTo(2 * 128), "score head: 2 labels × d, no bias");
    }

    [Test]
    public void AFinishedRunIsSkippedAndAMissingCellIsRedone()
    {
        var dir = Directory.CreateTempSubdirectory("peftbench-resume").FullName;
        var console = new TestConsole();
        Assert.That(RunCommand.Execute(Request(dir, "bitfit"), Composition, console), Is.EqualTo(ExitCodes.Ok));
        // Cell files only: the majority-class references (ref-*.json) are recomputed on every run.
        var files = Directory.GetFiles(Path.Combine(dir, "cells"), "*.json").Where(f => !Path.GetFileName(f).StartsWith("ref-", StringComparison.Ordinal)).ToArray();
        Assert.That(files, Has.Length.EqualTo(2));
        var stamps = files.ToDictionary(f => f, File.GetLastWriteTimeUtc);

        console = new TestConsole();
        RunCommand.Execute(Request(dir, "bitfit"), Composition, console);
        Assert.That(console.Output, Does.Contain("2 already finished").And.Contain("0 to run"));
        foreach (var (f, t) in stamps) Assert.That(File.GetLastWriteTimeUtc(f), Is.EqualTo(t));

        File.Delete(files[0]);
        console = new TestConsole();
        RunCommand.Execute(Request(dir, "bitfit"), Composition, console);
        Assert.That(console.Output, Does.Contain("1 already finished").And.Contain("1 to run"));
        Assert.That(File.Exists(files[0]));
        Assert.That(File.Exists(Path.Combine(dir, "results.md")));
        Assert.That(File.Exists(Path.Combine(dir, "cells.csv")));
    }

    [Test]
    public void AFailedCellIsRecordedAndRetried()
    {
        var dir = Directory.CreateTempSubdirectory("peftbench-failed").FullName;
        var plan = Planner.Plan(Request(dir, "linear-probe"), Composition.PlanningContext());
        var store = new ResultStore(plan.OutputDirectory);
        var failed = new CellResult
        {
            Key = plan.Cells[0].Key, Status = CellStatus.Failed, Error = "simulated crash",
            Cell = new CellSpec { Task = "glue/rte", Model = "tiny-bert", Method = "linear-probe", Profile = "smoke", Device = "cpu" },
        };
        store.Write(failed);
        Assert.That(store.IsFinished(failed.Key), Is.False);
        var console = new TestConsole();
        RunCommand.Execute(Request(dir, "linear-probe"), Composition, console);
        Assert.That(console.Output, Does.Contain("0 already finished").And.Contain("2 to run"));
        Assert.That(store.TryRead(failed.Key)!.Status, Is.EqualTo(CellStatus.Ok));
    }

    [Test]
    public void ADivergingCellIsRecordedAndTheSuiteGoesOn()
    {
        var dir = Directory.CreateTempSubdirectory("peftbench-diverge").FullName;
        // A learning rate of 1e30 overflows the activations after one step: the loss becomes non-finite.
        var request = Request(dir, "lora", "bitfit") with { Settings = new[] { "lora.learning_rate=1e30" } };
        Assert.That(RunCommand.Execute(request, Composition, new TestConsole()), Is.EqualTo(ExitCodes.Ok));
        var results = Trained(dir).ToList();
        Assert.That(results.Where(r => r.Cell.Method == "lora").Select(r => r.Status), Is.All.EqualTo(CellStatus.Diverged));
        Assert.That(results.Where(r => r.Cell.Method == "lora").Select(r => r.Error), Is.All.Contains("non-finite"));
        Assert.That(results.Where(r => r.Cell.Method == "bitfit").Select(r => r.Status), Is.All.EqualTo(CellStatus.Ok));
        Assert.That(File.ReadAllText(Path.Combine(dir, "results.md")), Does.Contain("diverged"));
    }

    [Test]
    public void SameSeedSameThreadsGivesBitIdenticalResults()
    {
        var a = Directory.CreateTempSubdirectory("peftbench-det-a").FullName;
        var b = Directory.CreateTempSubdirectory("peftbench-det-b").FullName;
        RunCommand.Execute(Request(a, "lora") with { Tasks = new[] { "glue/rte" } }, Composition, new TestConsole());
        RunCommand.Execute(Request(b, "lora") with { Tasks = new[] { "glue/rte" } }, Composition, new TestConsole());
        var ra = Trained(a).Single();
        var rb = Trained(b).Single();
        Assert.That(ra.Status, Is.EqualTo(CellStatus.Ok), ra.Error);
        Assert.That(rb.Key, Is.EqualTo(ra.Key));
        Assert.That(rb.Metrics, Is.EqualTo(ra.Metrics));
        Assert.That(rb.Measurements!.FinalTrainLoss, Is.EqualTo(ra.Measurements!.FinalTrainLoss));
    }

    [Test]
    public void EveryResultRecordsMeasurementsAndProvenance()
    {
        var dir = Directory.CreateTempSubdirectory("peftbench-measure").FullName;
        RunCommand.Execute(Request(dir, "lora") with { Tasks = new[] { "glue/stsb" } }, Composition, new TestConsole());
        var r = Trained(dir).Single();
        Assert.That(r.Status, Is.EqualTo(CellStatus.Ok), r.Error);
        Assert.That(r.Metrics.Keys, Is.EquivalentTo(new[] { "pearson", "spearman" }));
        Assert.That(r.Parameters!.Adapter, Is.GreaterThan(0));
        Assert.That(r.Parameters.Head, Is.GreaterThan(0));
        Assert.That(r.Parameters.Other, Is.EqualTo(0));
        Assert.That(r.Parameters.Trainable, Is.EqualTo(r.Parameters.Adapter + r.Parameters.Head + r.Parameters.Other));
        Assert.That(r.Measurements!.PeakMemoryBytes, Is.GreaterThan(10_000_000));
        Assert.That(r.Measurements.TrainExamplesPerSecond, Is.GreaterThan(0));
        Assert.That(r.Measurements.TrainTokensPerSecond, Is.GreaterThan(r.Measurements.TrainExamplesPerSecond));
        Assert.That(r.Measurements.InferenceExamplesPerSecondMerged, Is.Not.Null);
        Assert.That(r.Provenance!.Threads, Is.EqualTo(1));
        Assert.That(r.Provenance.Device, Is.EqualTo("cpu"));
        Assert.That(r.Provenance.Packages.Keys, Does.Contain("TorchSharp"));
        Assert.That(r.Cell.Config!.ToJsonString(), Does.Contain("rank"));
    }
}
