using NUnit.Framework;
using System.Runtime.CompilerServices;

namespace PeftBench.Tests.Reports;

/// <summary>
/// Golden files under tests/fixtures/reports. Set PEFTBENCH_UPDATE_GOLDENS=1 to rewrite them from the current
/// output (into the source tree, not the build output), then review the diff before committing.
/// </summary>
internal static class Goldens
{
    public const string UpdateVariable = "PEFTBENCH_UPDATE_GOLDENS";

    public static void Match(string actual, string name)
    {
        var source = Path.Combine(SourceDir(), "..", "fixtures", "reports", name);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(source)!);
            File.WriteAllText(source, actual);
            Assert.Warn($"Golden file {name} rewritten; review it and commit.");
            return;
        }
        var built = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "reports", name);
        Assert.That(File.Exists(built), Is.True, $"Golden file {name} is missing: run the tests with {UpdateVariable}=1 to create it.");
        var expected = File.ReadAllText(built).ReplaceLineEndings("\n");
        Assert.That(actual.ReplaceLineEndings("\n"), Is.EqualTo(expected),
            $"Output differs from golden file {name}. If the change is intended, rerun with {UpdateVariable}=1 and review the diff.");
    }

    static string SourceDir([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
