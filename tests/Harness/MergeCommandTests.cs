using NUnit.Framework;
using PeftBench.Harness;
using PeftBench.Harness.Cli;
using PeftBench.Harness.Merging;
using PeftBench.Harness.Planning;
using PeftBench.Reports;
using PeftBench.Reports.Merging;
using Spectre.Console.Testing;

namespace PeftBench.Tests.Harness;

/// <summary>The merge step end to end on a tiny smoke run with saved adapters (LoRA merges; Houlsby is refused).</summary>
public class MergeCommandTests
{
    private static readonly Composition Composition = new();
    private static string runDirectory = "";
    private static MergeReport report = null!;
    private static int exitCode;
    private static string console = "";

    [OneTimeSetUp]
    public void RunAndMergeOnce()
    {
        runDirectory = Directory.CreateTempSubdirectory("peftbench-merge").FullName;
        var run = new RunRequest
        {
            Tasks = ["glue/rte", "glue/stsb"], Methods = ["lora", "houlsby"], Profile = "smoke", Threads = 1, Out = runDirectory, SaveAdapters = true,
        };
        Assert.That(RunCommand.Execute(run, Composition, new TestConsole()), Is.EqualTo(ExitCodes.Ok));
        var output = new StringWriter();
        exitCode = MergeCommand.Execute(new MergeCommand.Request(runDirectory, Ops: "compeft,breadcrumbs,task-arithmetic",
            Densities: "0.1,1", Alphas: "1,3", Lambdas: "0.5,1", SelectionExamples: 48), Composition, output);
        console = output.ToString();
        var json = Path.Combine(runDirectory, "merging", MergeOutputs.JsonFile);
        report = File.Exists(json) ? MergeReport.FromJson(File.ReadAllText(json)) : null!;
    }

    private static IEnumerable<CellResult> LoraCells() => ResultJson.ReadFolder(runDirectory).Where(r => r.Cell.Method == "lora");

    [Test]
    public void WritesTheJsonCsvAndMarkdownAndPrintsTheTable()
    {
        Assert.That(exitCode, Is.EqualTo(ExitCodes.Ok), console);
        foreach (var file in new[] { MergeOutputs.JsonFile, MergeOutputs.CsvFile, MergeOutputs.MarkdownFile })
            Assert.That(File.Exists(Path.Combine(runDirectory, "merging", file)), file);
        Assert.That(console, Does.Contain("Merging and compression").And.Contain("compeft").And.Contain("task-arithmetic (merge of 2)"));
        Assert.That(File.ReadAllText(Path.Combine(runDirectory, "merging", MergeOutputs.MarkdownFile)), Does.Contain("| op |").And.Contain("houlsby"));
        Assert.That(File.ReadAllLines(Path.Combine(runDirectory, "merging", MergeOutputs.CsvFile))[0], Does.StartWith("op,mode,space,task"));
    }

    [Test]
    public void AtDensityOneTheUncompressedUpdateScoresExactlyAsTheCell()
    {
        foreach (var cell in LoraCells())
        {
            Assert.That(report.ReloadedScores[cell.Key], Is.EqualTo(cell.TaskScore), "the reloaded adapter reproduces the cell's score");
            foreach (var op in new[] { MergeOps.Compeft, MergeOps.Breadcrumbs })
            {
                var row = report.Rows.Single(r => r.CellKey == cell.Key && r.Op == op && r.Mode == "compress" && r.Density == 1.0);
                Assert.Multiple(() =>
                {
                    Assert.That(row.Score, Is.EqualTo(cell.TaskScore), $"{op} at density 1, scale 1");
                    Assert.That(row.Scale, Is.EqualTo(1.0));
                    Assert.That(row.StoredBytes, Is.EqualTo(row.OriginalBytes));
                    Assert.That(row.OriginalBytes, Is.EqualTo(cell.Parameters!.MethodTrainable * 4), "the update is the method's trainable tensors, fp32");
                });
            }
        }
    }

    [Test]
    public void CompressionAtLowDensityStoresFarLessAndPicksAScaleFromTheGrid()
    {
        var rows = report.Rows.Where(r => r.Mode == "compress" && r.Density == 0.1).ToList();
        Assert.That(rows.Select(r => (r.Op, r.Task)), Is.EquivalentTo(new[]
        {
            (MergeOps.Compeft, "glue/rte"), (MergeOps.Compeft, "glue/stsb"), (MergeOps.Breadcrumbs, "glue/rte"), (MergeOps.Breadcrumbs, "glue/stsb"),
        }));
        foreach (var r in rows)
            Assert.Multiple(() =>
            {
                Assert.That(r.Score, Is.Not.Null);
                // ComPEFT keeps ⌈0.1·n⌉ over the whole update; Breadcrumbs ⌈0.1·nᵢ⌉ per tensor (a few more in all).
                Assert.That(r.StoredValues, Is.LessThanOrEqualTo((long)Math.Ceiling(0.1 * r.UpdateElements) + (r.Op == MergeOps.Compeft ? 0 : 64)));
                Assert.That(r.StoredBytes, Is.LessThan(r.OriginalBytes / (r.Op == MergeOps.Compeft ? 20 : 5)), $"{r.Op}: sparse positions (+ signs or values)");
                Assert.That(r.Op == MergeOps.Compeft ? new[] { 1.0, 3.0 } : new[] { 0.5, 1.0 }, Does.Contain(r.Scale));
                Assert.That(r.SelectionScore, Is.Not.Null);
            });
    }

    [Test]
    public void TaskArithmeticMergesTheTwoTasksAndScoresEachWithItsHead()
    {
        foreach (var op in new[] { MergeOps.TaskArithmetic, MergeOps.Breadcrumbs })
        {
            var rows = report.Rows.Where(r => r.Op == op && r.Mode == "merge").ToList();
            Assert.That(rows.Select(r => r.Task), Is.EquivalentTo(new[] { "glue/rte", "glue/stsb" }), op);
            Assert.That(rows.Select(r => r.Scale).Distinct().Count(), Is.EqualTo(1), "one λ for the merged model");
            Assert.That(rows.All(r => r.MergedTasks.SequenceEqual(new[] { "glue/rte", "glue/stsb" }) && r.Method == "lora" && r.Space == "weights"));
            Assert.That(rows.All(r => r.Score is not null && r.OriginalScore is not null));
        }
        Assert.That(report.Rows.Where(r => r.Op == MergeOps.Breadcrumbs && r.Mode == "merge").Select(r => r.Density), Is.All.EqualTo(0.1));
    }

    [Test]
    public void AMethodWhoseUpdateDoesNotFoldIntoTheWeightsIsSkippedWithItsReason()
    {
        var skipped = report.Skipped.Where(s => s.Method == "houlsby").ToList();
        Assert.That(skipped, Has.Count.EqualTo(2));
        Assert.That(skipped.Select(s => s.Reason), Is.All.Contains("does not fold into the weights"));
        Assert.That(report.Rows.Any(r => r.Method == "houlsby"), Is.False);
    }

    [Test]
    public void TheSameMergeGivesTheSameNumbers()
    {
        var again = new StringWriter();
        var outDir = Path.Combine(runDirectory, "merging-again");
        Assert.That(MergeCommand.Execute(new MergeCommand.Request(runDirectory, Ops: "compeft", Densities: "0.1", Alphas: "1,3",
            SelectionExamples: 48, Methods: "lora", Out: outDir), Composition, again), Is.EqualTo(ExitCodes.Ok), again.ToString());
        var second = MergeReport.FromJson(File.ReadAllText(Path.Combine(outDir, MergeOutputs.JsonFile)));
        var first = report.Rows.Where(r => r.Op == MergeOps.Compeft && r.Density == 0.1).OrderBy(r => r.CellKey).ToList();
        Assert.That(second.Rows.OrderBy(r => r.CellKey).Select(r => (r.Score, r.Scale, r.StoredBytes, r.SelectionScore)),
            Is.EqualTo(first.Select(r => (r.Score, r.Scale, r.StoredBytes, r.SelectionScore))));
    }

    [Test]
    public void ARunWithoutSavedAdaptersAndUnknownOpsAreUsageErrors()
    {
        var empty = Directory.CreateTempSubdirectory("peftbench-merge-none").FullName;
        Directory.CreateDirectory(Path.Combine(empty, "cells"));
        var output = new StringWriter();
        Assert.That(MergeCommand.Execute(new MergeCommand.Request(empty), Composition, output), Is.EqualTo(ExitCodes.Usage));
        Assert.That(output.ToString(), Does.Contain("re-run the same command with --save-adapters"));
        output = new StringWriter();
        Assert.That(MergeCommand.Execute(new MergeCommand.Request(empty, Ops: "breadcrums", Densities: "0,2"), Composition, output), Is.EqualTo(ExitCodes.Usage));
        Assert.That(output.ToString(), Does.Contain("Did you mean 'breadcrumbs'").And.Contain("--densities must be fractions"));
    }
}
