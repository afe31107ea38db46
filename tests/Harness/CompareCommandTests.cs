using NUnit.Framework;
using PeftBench.Harness.Cli;
using PeftBench.Reports;
using PeftBench.Tests.Reports;

namespace PeftBench.Tests.Harness;

/// <summary>The <c>baseline</c> and <c>compare</c> commands on result folders written in the real format: exit codes and outputs.</summary>
public class CompareCommandTests
{
    static string Folder(IEnumerable<CellResult> cells)
    {
        var dir = Directory.CreateTempSubdirectory("peftbench-compare").FullName;
        foreach (var c in cells) AtomicFile.WriteAllText(Path.Combine(dir, "cells", c.Key + ".json"), ResultJson.Serialize(c));
        return dir;
    }

    static List<CellResult> Run(double accuracy = 0.70, long adapter = 7_168) =>
    [
        CellBuilder.Ok("glue/sst2", "lora", 0, new Dictionary<string, double> { ["accuracy"] = accuracy }, "0.5%", adapter: adapter),
        CellBuilder.Ok("glue/sst2", "bitfit", 0, new Dictionary<string, double> { ["accuracy"] = 0.66 }, other: 1_280),
    ];

    static string BaselineOf(IEnumerable<CellResult> cells)
    {
        var path = Path.Combine(Folder([]), "ci.json");
        Assert.That(BaselineCommand.Execute(Folder(cells), "ci", path, force: false, new StringWriter()), Is.EqualTo(ExitCodes.Ok));
        return path;
    }

    static (int Exit, string Output) Compare(string baseline, string current, string? markdown = null, string? json = null)
    {
        var output = new StringWriter();
        var exit = CompareCommand.Execute(new CompareCommand.Request(baseline, current, markdown, json), output);
        return (exit, output.ToString());
    }

    [Test]
    public void AnIdenticalRerunExitsZeroAndWritesAllThreeSummaries()
    {
        var dir = Folder([]);
        var (exit, output) = Compare(BaselineOf(Run()), Folder(Run()), Path.Combine(dir, "summary.md"), Path.Combine(dir, "verdict.json"));
        Assert.That(exit, Is.EqualTo(0), output);
        Assert.That(output, Does.StartWith("PASS: no regression in 2 matched cell(s)"));
        Assert.That(File.ReadAllText(Path.Combine(dir, "summary.md")), Does.StartWith("## ✅"));
        Assert.That(File.ReadAllText(Path.Combine(dir, "verdict.json")), Does.Contain("\"verdict\": \"pass\""));
    }

    [Test]
    public void PlantedRegressionsExitOne()
    {
        var baseline = BaselineOf(Run());
        var (exit, output) = Compare(baseline, Folder(Run(accuracy: 0.60)));
        Assert.That(exit, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("REGRESSION: 1 regression(s)"));
        Assert.That(Compare(baseline, Folder(Run(adapter: 9_000))).Exit, Is.EqualTo(1));
        Assert.That(Compare(baseline, Folder(Run().Take(1))).Output, Does.Contain("removed"));
        Assert.That(Compare(baseline, Folder(Run().Take(1))).Exit, Is.EqualTo(1));
    }

    [Test]
    public void InputErrorsExitTwoWithAClearMessage()
    {
        var bad = Path.Combine(Folder([]), "ci.json");
        File.WriteAllText(bad, "{ \"schema\": 1, \"cells\": [ {\"key\": ");
        var (exit, output) = Compare(bad, Folder(Run()));
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(output, Does.Contain("ci.json").And.Contain("not a valid baseline file"));
        Assert.That(Compare(Path.Combine(Folder([]), "missing.json"), Folder(Run())).Output, Does.Contain("does not exist"));
        Assert.That(Compare(BaselineOf(Run()), Folder([])).Exit, Is.EqualTo(2));
        var otherThreads = Run().Select(r => r with { Cell = r.Cell with { Threads = 1 } });
        var mismatch = Compare(BaselineOf(Run()), Folder(otherThreads));
        Assert.That(mismatch.Exit, Is.EqualTo(2));
        Assert.That(mismatch.Output, Does.Contain("thread count differs"));
    }

    [Test]
    public void ABaselineFromADirtyTreeIsRefusedUnlessForced()
    {
        var dirty = Folder(Run().Select(r => r with { Provenance = r.Provenance! with { GitDirty = true } }));
        var path = Path.Combine(Folder([]), "ci.json");
        var output = new StringWriter();
        Assert.That(BaselineCommand.Execute(dirty, "ci", path, force: false, output), Is.EqualTo(2));
        Assert.That(output.ToString(), Does.Contain("dirty working tree").And.Contain("--force"));
        Assert.That(File.Exists(path), Is.False);
        Assert.That(BaselineCommand.Execute(dirty, "ci", path, force: true, new StringWriter()), Is.EqualTo(0));
        Assert.That(File.ReadAllText(path), Does.Contain("\"dirty\":true").And.Contain("\"metric_floor\":0.001"));
    }
}
