using System.Text.Json;
using NUnit.Framework;
using PeftBench.Harness;
using PeftBench.Harness.Cli;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Running;
using PeftBench.Reports;
using Spectre.Console.Testing;

namespace PeftBench.Tests.Harness;

/// <summary>
/// <c>--devices cpu,cpu</c>: two worker processes of the real binary pull smoke cells. Results must equal one process's
/// at the same thread count, and a worker that aborts mid-cell must leave the cell recorded, retried once, and the run
/// finished.
/// </summary>
[NonParallelizable] // the crash tests set an environment variable that the workers inherit
public class MultiDeviceRunTests
{
    private static readonly Composition Composition = new();

    private static RunRequest Request(string outDir, params string[] methods) => new()
    {
        Tasks = ["glue/rte", "glue/stsb"], Methods = methods, Profile = "smoke", Threads = 1, Out = outDir,
    };

    private static string TempDir(string name) => Directory.CreateTempSubdirectory(name).FullName;

    private static Dictionary<string, CellResult> Trained(string dir) =>
        ResultJson.ReadFolder(dir).Where(r => r.Cell.Method != MajorityBaseline.MethodId).ToDictionary(r => r.Key);

    /// <summary>Two cpu workers on two cells of rte; the worker handed the first cell aborts (on every attempt if <paramref name="always"/>).</summary>
    private static (int Exit, string Victim, TestConsole Console) RunAbortingOnTheFirstCell(string dir, bool always)
    {
        var request = Request(dir, "linear-probe", "bitfit") with { Tasks = ["glue/rte"], Devices = ["cpu", "cpu"] };
        var victim = Planner.Plan(request, Composition.PlanningContext()).Cells[0].Key;
        var console = new TestConsole();
        try
        {
            Environment.SetEnvironmentVariable(WorkerCrashHook.Variable, always ? victim + ":always" : victim);
            return (RunCommand.Execute(request, Composition, console), victim, console);
        }
        finally { Environment.SetEnvironmentVariable(WorkerCrashHook.Variable, null); }
    }

    [Test]
    public void TwoCpuWorkersGiveTheCellsOfOneProcess()
    {
        var single = TempDir("peftbench-one-process");
        var workers = TempDir("peftbench-two-workers");
        // Two cells (LoRA on a classification and a regression task), so each worker takes one.
        var request = Request(single, "lora");
        Assert.That(RunCommand.Execute(request, Composition, new TestConsole()), Is.EqualTo(ExitCodes.Ok));
        var console = new TestConsole();
        Assert.That(RunCommand.Execute(request with { Out = workers, Devices = ["cpu", "cpu"] }, Composition, console),
            Is.EqualTo(ExitCodes.Ok), console.Output);
        Assert.That(console.Output, Does.Contain("2 worker process(es) on cpu, cpu, 1 thread(s) each"));

        var a = Trained(single);
        var b = Trained(workers);
        Assert.That(b.Keys, Is.EquivalentTo(a.Keys));
        Assert.That(a, Has.Count.EqualTo(2));
        foreach (var (key, ra) in a)
        {
            var rb = b[key];
            Assert.That(rb.Status, Is.EqualTo(CellStatus.Ok), rb.Error);
            Assert.That(JsonSerializer.Serialize(rb.Cell, ResultJson.Options), Is.EqualTo(JsonSerializer.Serialize(ra.Cell, ResultJson.Options)), key);
            Assert.That(rb.Metrics, Is.EqualTo(ra.Metrics), key);
            Assert.That(rb.Parameters, Is.EqualTo(ra.Parameters), key);
            Assert.That(rb.Measurements!.FinalTrainLoss, Is.EqualTo(ra.Measurements!.FinalTrainLoss), key);
            Assert.That(rb.History, Is.EqualTo(ra.History), key);
            Assert.That(rb.Examples?.Values, Is.EqualTo(ra.Examples?.Values), key);
            Assert.That(rb.Provenance!.Threads, Is.EqualTo(1));
            Assert.That(rb.Provenance.Device, Is.EqualTo("cpu"));
            Assert.That(rb.EarlierAttempts, Is.Null);
        }
        // The report reads the same files: its metrics table is byte for byte the single process's.
        Assert.That(File.ReadAllText(Path.Combine(workers, "metrics.csv")), Is.EqualTo(File.ReadAllText(Path.Combine(single, "metrics.csv"))));
    }

    [Test]
    public void AWorkerThatAbortsMidCellHasTheCellRecordedAndRetriedOnce()
    {
        var dir = TempDir("peftbench-worker-abort");
        var (exit, victim, console) = RunAbortingOnTheFirstCell(dir, always: false);

        Assert.That(exit, Is.EqualTo(ExitCodes.Ok), console.Output);
        Assert.That(console.Output, Does.Contain("retrying it once on another worker"));
        var results = Trained(dir);
        Assert.That(results.Values.Select(r => r.Status), Is.All.EqualTo(CellStatus.Ok));
        var retried = results[victim];
        Assert.That(retried.EarlierAttempts, Has.Count.EqualTo(1));
        Assert.That(retried.EarlierAttempts![0], Does.Contain("died while running this cell (attempt 1 of 2)").And.Contain("SIGABRT"));
        Assert.That(File.Exists(Path.Combine(dir, "results.md")));
    }

    [Test]
    public void ACellWhoseWorkersAbortTwiceIsRecordedFailedAndTheRunFinishes()
    {
        var dir = TempDir("peftbench-worker-abort-twice");
        var (exit, victim, console) = RunAbortingOnTheFirstCell(dir, always: true);

        Assert.That(exit, Is.EqualTo(ExitCodes.CellsFailed), console.Output);
        var results = Trained(dir);
        Assert.That(results[victim].Status, Is.EqualTo(CellStatus.Failed));
        Assert.That(results[victim].Error, Does.Contain("attempt 2 of 2").And.Contain("exit code 134"));
        Assert.That(results[victim].EarlierAttempts, Has.Count.EqualTo(1));
        Assert.That(results.Values.Where(r => r.Key != victim).Select(r => r.Status), Is.All.EqualTo(CellStatus.Ok));
        Assert.That(File.ReadAllText(Path.Combine(dir, "results.md")), Does.Contain("failed"));
    }

    [Test]
    public void WorkerCellsHaveTheSingleProcessKeysAndSplitTheCores()
    {
        var request = Request(TempDir("peftbench-keys"), "lora");
        var single = Planner.Plan(request, Composition.PlanningContext());
        var workers = Planner.Plan(request with { Devices = ["cpu", "cpu"] }, Composition.PlanningContext());
        Assert.That(workers.Cells.Select(c => c.Key), Is.EqualTo(single.Cells.Select(c => c.Key)));
        Assert.That(workers.WorkerDevices, Is.EqualTo(new[] { "cpu", "cpu" }));
        Assert.That(single.WorkerDevices, Is.Empty);

        var unpinned = Planner.Plan(request with { Threads = null, Devices = ["cpu", "cpu"] }, Composition.PlanningContext());
        Assert.That(unpinned.Cells.Select(c => c.Threads), Is.All.EqualTo(Math.Max(1, Environment.ProcessorCount / 2)), "threads are split between workers");
    }

    [TestCase(new[] { "cpu", "cuda:0" }, "mixes CPU and CUDA")]
    [TestCase(new[] { "gpu0" }, "unknown device 'gpu0'")]
    [TestCase(new[] { "cuda:0", "cuda:1" }, "CUDA is not available")]
    public void BadDeviceListsAreRefusedBeforeTraining(string[] devices, string message)
    {
        if (message.Contains("CUDA is not available") && TorchSharp.torch.cuda.is_available()) Assert.Ignore("CUDA is available here.");
        var e = Assert.Throws<PlanException>(() => Planner.Plan(Request(TempDir("peftbench-bad-devices"), "lora") with { Devices = devices }, Composition.PlanningContext()));
        Assert.That(e!.Problems, Has.Some.Contains(message));
    }
}
