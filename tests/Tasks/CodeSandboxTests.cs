using System.Diagnostics;
using NUnit.Framework;
using PeftBench.Tasks.Code;

namespace PeftBench.Tests.Tasks;

/// <summary>
/// The Python sandbox against hostile programs: each is stopped and reported as a failure of that sample only.
/// Skipped (Assume) only where no python3 runs; limits are small so the fixture stays quick. Runs twice: with the
/// namespaces unshare gives (where it works) and with the fallback isolation alone.
/// </summary>
[NonParallelizable]
[TestFixture(true)]
[TestFixture(false)]
public sealed class CodeSandboxTests(bool namespaces)
{
    private static readonly SandboxLimits Small = new() { WallSeconds = 2, MemoryBytes = 256L << 20, OutputBytes = 4096 };
    private PythonScorer scorer = null!;

    private static string Fixture(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "code", name);

    [OneTimeSetUp]
    public void FindPython()
    {
        scorer = PythonScorer.ForTask("code/test", Small, namespaces);
        TestContext.Progress.WriteLine($"sandbox: {scorer.Isolation}");
    }

    [SetUp]
    public void NeedsPython() => Assume.That(scorer.Runnable, scorer.NotRunnableReason);

    private SandboxRun Run(string program, SandboxLimits? limits = null) =>
        limits is null ? scorer.Run([program])[0] : PythonScorer.ForTask("code/test", limits, namespaces).Run([program])[0];

    [Test]
    public void ReferenceSolutionsPassAndWrongOnesFail()
    {
        foreach (var row in CodeJsonl.ReadMbpp(Fixture("mbpp.jsonl")))
            Assert.That(Run(row.Program(row.Code)).Outcome, Is.EqualTo(SampleOutcome.Passed), $"MBPP {row.TaskId}");
        foreach (var row in CodeJsonl.ReadHumanEval(Fixture("humaneval.jsonl")))
            Assert.That(Run(row.Program(row.CanonicalSolution)).Outcome, Is.EqualTo(SampleOutcome.Passed), row.TaskId);

        var prime = CodeJsonl.ReadMbpp(Fixture("mbpp.jsonl"))[1];
        var wrong = Run(prime.Program("def is_not_prime(n):\n    return False"));
        Assert.That(wrong.Outcome, Is.EqualTo(SampleOutcome.Failed));
        Assert.That(wrong.Stderr, Does.Contain("AssertionError"));
        Assert.That(Run(prime.Program("def is_not_prime(n) return")).Outcome, Is.EqualTo(SampleOutcome.Crashed), "syntax error");
        Assert.That(Run("import sys\nsys.exit(0)\nassert False\n").Outcome, Is.EqualTo(SampleOutcome.Failed), "an early exit(0) is not a pass");
    }

    [Test]
    public void AnInfiniteLoopIsKilledWithinTheLimit()
    {
        var run = Run("while True:\n    pass\n", Small with { WallSeconds = 1 });
        Assert.That(run.Outcome, Is.EqualTo(SampleOutcome.TimedOut));
        Assert.That(run.WallSeconds, Is.LessThan(1 + 3), "killed at the limit, plus kill and clean-up");
    }

    [Test]
    public void MemoryBombsRunOutOfMemory()
    {
        Assert.That(Run("x = 'a' * 10**10\n").Outcome, Is.EqualTo(SampleOutcome.MemoryExceeded), "one huge allocation");
        // Big steps and a small limit so the bomb goes off well inside the wall clock even on a loaded machine.
        Assert.That(Run("x = []\nwhile True:\n    x.append([0] * 1000000)\n", Small with { MemoryBytes = 128L << 20 }).Outcome,
            Is.EqualTo(SampleOutcome.MemoryExceeded), "a growing list");
    }

    [Test]
    public void TheNetworkIsUnreachable()
    {
        var run = Run("import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=1)\n");
        Assert.That(run.Outcome, Is.EqualTo(SampleOutcome.Crashed));
        // This machine itself can reach 1.1.1.1, so the error must come from the sandbox: an empty network namespace
        // (its loopback down, every address unreachable) or, without one, the preamble's disabled socket.
        Assert.That(run.Stderr, scorer.Isolation.StartsWith("network: OS", StringComparison.Ordinal)
            ? Does.Contain("Network is unreachable") : Does.Contain("network is disabled in the PeftBench sandbox"));
        // Outside the sandbox a closed local port refuses; inside, loopback is missing (or sockets are disabled).
        var loopback = Run("import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)\n");
        Assert.That(loopback.Outcome, Is.EqualTo(SampleOutcome.Crashed));
        Assert.That(loopback.Stderr, Does.Not.Contain("ConnectionRefused"), "loopback is not reachable either");
    }

    [Test]
    public void TheWorkingFolderIsThrownAwayAndItsParentIsNotWritable()
    {
        var run = Run("""
import os
print(os.getcwd())
with open('inside.txt', 'w') as f:
    f.write('scratch')
try:
    with open('../escape.txt', 'w') as f:
        f.write('x')
    print('escaped')
except OSError:
    print('blocked')
""");
        Assert.That(run.Outcome, Is.EqualTo(SampleOutcome.Passed), run.Stderr);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string work = lines[0], parent = Path.GetDirectoryName(work)!;
        Assert.That(Directory.Exists(work), Is.False, "the working folder is deleted after the run");
        Assert.That(File.Exists(Path.Combine(parent, "escape.txt")), Is.False, "its parent (the run's own folder) is deleted too");
        if (Environment.IsPrivilegedProcess)
            Assert.That(lines[1], Is.EqualTo("blocked"), "as root the program runs as nobody and cannot write the parent");
    }

    [Test]
    public void TheEnvironmentIsScrubbedAndStdinClosed()
    {
        var run = Run("""
import os, sys
assert 'PYTHONPATH' not in os.environ and 'DOTNET_ROOT' not in os.environ
assert os.environ['HOME'] == os.getcwd()
assert sys.stdin is None or sys.stdin.read() == ''
assert sys.flags.isolated == 1
""");
        Assert.That(run.Outcome, Is.EqualTo(SampleOutcome.Passed), run.Stderr);
    }

    [Test]
    public void OutputIsCapped()
    {
        var run = Run("print('x' * 1000000)\n");
        Assert.That(run.Outcome, Is.EqualTo(SampleOutcome.Passed));
        Assert.That(run.Stdout.Length, Is.EqualTo(Small.OutputBytes));
        Assert.That(run.OutputTruncated, Is.True);
    }

    [Test]
    public void AForkingProgramLeavesNoProcessBehind()
    {
        var run = Run("""
import os, time
for i in range(100):
    try:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
    except OSError:
        break
time.sleep(60)
""", Small with { WallSeconds = 1 });
        Assert.That(run.Outcome, Is.EqualTo(SampleOutcome.TimedOut));
        var clock = Stopwatch.StartNew();
        int left;
        while ((left = SandboxProcesses()) > 0 && clock.Elapsed < TimeSpan.FromSeconds(3)) Thread.Sleep(50);
        Assert.That(left, Is.Zero, "every forked child dies with the sample");
    }

    [Test]
    public void OneHostileSampleFailsAloneInABatch()
    {
        var prime = CodeJsonl.ReadMbpp(Fixture("mbpp.jsonl"))[1];
        var runs = scorer.Run(
        [
            prime.Program(prime.Code),
            prime.Program("def is_not_prime(n):\n    while True:\n        pass"),
            prime.Program("def is_not_prime(n):\n    return 'a' * 10**10"),
            prime.Program("def is_not_prime(n):\n    return n % 2 == 0"),
            prime.Program(prime.Code),
        ]);
        Assert.That(runs.Select(r => r.Outcome), Is.EqualTo(new[]
        {
            SampleOutcome.Passed, SampleOutcome.TimedOut, SampleOutcome.MemoryExceeded, SampleOutcome.Failed, SampleOutcome.Passed,
        }));
        var score = CodeScore.From([runs.Select(r => r.Outcome).ToList()], [1]);
        Assert.That(score.PassAtK[1], Is.EqualTo(0.4).Within(1e-12));
    }

    [Test]
    public void WithoutPythonTheTaskIsNotRunnableAndSaysHowToInstallIt()
    {
        var absent = PythonScorer.ForTask("code/mbpp", Small, namespaces, python: "/nonexistent/python3");
        Assert.That(absent.Runnable, Is.False);
        Assert.That(absent.NotRunnableReason, Does.Contain("code/mbpp").And.Contain("apt-get install python3"));
        Assert.That(() => absent.Run(["print(1)"]), Throws.InvalidOperationException.With.Message.EqualTo(absent.NotRunnableReason));
    }

    /// <summary>Live processes running the sandbox preamble (its marker is on their command line).</summary>
    private static int SandboxProcesses()
    {
        int count = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                string cmd = File.ReadAllText(Path.Combine(dir, "cmdline"));
                string status = File.ReadAllText(Path.Combine(dir, "status"));
                if (cmd.Contains("_peftbench_sandbox") && !status.Contains("State:\tZ")) count++;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return count;
    }
}
