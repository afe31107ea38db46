using NUnit.Framework;
using PeftBench.Core.Tasks;
using PeftBench.Tasks;
using PeftBench.Tasks.Builders;
using PeftBench.Tasks.Vision;

namespace PeftBench.Tests.Tasks;

/// <summary>
/// The embedded vision data against its sources (Debian packages fetched by <c>fetch-media.sh --packages-only</c> into
/// .cache/sources, or PEFTBENCH_SOURCES; ignored without them): the real files under <c>--data-dir</c> give the same
/// 800/200 split as the embedded subset, and rebuilding reproduces the committed files ([Explicit]: it rewrites a folder).
/// </summary>
public class VisionDataBuilderTests
{
    [TestCase("vision/fashion-mnist")]
    [TestCase("vision/digits")]
    public void RealFilesUnderDataDirSplitExactlyLikeTheEmbeddedSubset(string taskId)
    {
        var sources = SourcesOrIgnore();
        var dataDir = Directory.CreateTempSubdirectory("vision-real-").FullName;
        try
        {
            if (taskId == "vision/fashion-mnist")
            {
                var folder = Directory.CreateDirectory(Path.Combine(dataDir, "fashion-mnist")).FullName;
                foreach (var f in Directory.GetFiles(VisionDataBuilder.FashionMnistSource(sources), "*.gz"))
                    File.CreateSymbolicLink(Path.Combine(folder, Path.GetFileName(f)), f);
            }
            else
            {
                var folder = Directory.CreateDirectory(Path.Combine(dataDir, "digits")).FullName;
                File.CreateSymbolicLink(Path.Combine(folder, "digits.csv.gz"), VisionDataBuilder.DigitsSource(sources));
            }
            var task = TaskCatalog.Create().Get(taskId);
            Assert.That(task.Data.Check(new DataOptions(dataDir)), Is.Empty);
            var real = task.Data.Load(new DataOptions(dataDir));
            var embedded = task.Data.Load(new DataOptions(null));
            foreach (var split in new[] { "train", "val" })
            {
                var a = split == "train" ? real.TrainAs<ImageExample>() : real.EvaluationAs<ImageExample>(split);
                var b = split == "train" ? embedded.TrainAs<ImageExample>() : embedded.EvaluationAs<ImageExample>(split);
                Assert.That(a.Select(e => Convert.ToBase64String(e.Pixels) + e.Label), Is.EqualTo(b.Select(e => Convert.ToBase64String(e.Pixels) + e.Label)), split);
            }
            Assert.That(real.Evaluation["test"], Has.Count.EqualTo(taskId == "vision/digits" ? 797 : 10_000), "the full test split");
        }
        finally { Directory.Delete(dataDir, recursive: true); }
    }

    [Test, Explicit("writes a temporary folder; needs the fetched Debian packages")]
    public void Building_again_reproduces_the_committed_files()
    {
        var output = Directory.CreateTempSubdirectory("vision-build-").FullName;
        try
        {
            VisionDataBuilder.Build(SourcesOrIgnore(), output, TestContext.Progress);
            // the manifest holds every file's sha256, so equal manifests mean byte-identical data
            Assert.That(File.ReadAllText(Path.Combine(output, "MANIFEST.json")), Is.EqualTo(File.ReadAllText(Path.Combine(VisionDataSource.EmbeddedRoot, "MANIFEST.json"))));
        }
        finally { Directory.Delete(output, recursive: true); }
    }

    private static string SourcesOrIgnore()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Bench.sln"))) dir = dir.Parent;
        var sources = Environment.GetEnvironmentVariable("PEFTBENCH_SOURCES") ?? Path.Combine(dir?.FullName ?? ".", ".cache", "sources");
        if (!File.Exists(VisionDataBuilder.DigitsSource(sources)) || !Directory.Exists(VisionDataBuilder.FashionMnistSource(sources)))
            Assert.Ignore($"Debian source packages not found in '{sources}': run tasks/data/sources/fetch-media.sh .cache/sources --packages-only or set PEFTBENCH_SOURCES.");
        return sources;
    }
}
