using NUnit.Framework;
using PeftBench.Reports;

namespace PeftBench.Tests.Harness;

public class AtomicFileTests
{
    [Test]
    public void ReplacesWholeFileAndLeavesNoTemporaries()
    {
        var dir = Directory.CreateTempSubdirectory("peftbench-atomic").FullName;
        var path = Path.Combine(dir, "cell.json");
        AtomicFile.WriteAllText(path, new string('a', 10_000));
        AtomicFile.WriteAllText(path, "{\"short\": true}");
        Assert.That(File.ReadAllText(path), Is.EqualTo("{\"short\": true}"));
        Assert.That(Directory.GetFiles(dir), Is.EquivalentTo(new[] { path }));
    }

    [Test]
    public void AFailedWriterNeverTouchesTheTarget()
    {
        var dir = Directory.CreateTempSubdirectory("peftbench-atomic").FullName;
        var path = Path.Combine(dir, "table.csv");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, tmp => { File.WriteAllText(tmp, "half"); throw new IOException("killed"); }));
        Assert.That(File.ReadAllText(path), Is.EqualTo("old"));
    }
}
