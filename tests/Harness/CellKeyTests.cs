using System.Text.Json.Nodes;
using NUnit.Framework;
using PeftBench.Harness.Planning;

namespace PeftBench.Tests.Harness;

public class CellKeyTests
{
    private static JsonObject Identity(long seed = 0) => new()
    {
        ["task"] = "glue/sst2", ["task_version"] = 1, ["model"] = "tiny-bert", ["model_sha256"] = "abc",
        ["method"] = "lora", ["method_version"] = 1, ["config"] = new JsonObject { ["rank"] = 8, ["alpha"] = 8.0 },
        ["budget"] = null, ["seed"] = seed, ["profile"] = "smoke", ["device"] = "cpu", ["threads"] = 2,
    };

    [Test]
    public void KeyIgnoresPropertyOrder()
    {
        var reordered = new JsonObject(Identity().Reverse().Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone())));
        Assert.That(CellKey.Compute(reordered), Is.EqualTo(CellKey.Compute(Identity())));
    }

    [Test]
    public void KeyChangesWithAnythingThatDecidesTheResult()
    {
        var baseKey = CellKey.Compute(Identity());
        Assert.That(CellKey.Compute(Identity(seed: 1)), Is.Not.EqualTo(baseKey));
        var otherConfig = Identity();
        otherConfig["config"]!["rank"] = 16;
        Assert.That(CellKey.Compute(otherConfig), Is.Not.EqualTo(baseKey));
        var otherThreads = Identity();
        otherThreads["threads"] = 1;
        Assert.That(CellKey.Compute(otherThreads), Is.Not.EqualTo(baseKey));
    }

    /// <summary>Keys name result files on disk: a silent change would make every finished run re-run (or worse, mix).</summary>
    [Test]
    public void KeyIsStableAcrossVersions()
    {
        Assert.That(CellKey.Compute(Identity()), Is.EqualTo(GoldenKey));
    }

    private const string GoldenKey = "5d90123e9c5e56e6819d";
}
