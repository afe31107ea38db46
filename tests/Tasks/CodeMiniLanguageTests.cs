using NUnit.Framework;
using PeftBench.Tasks.Code;
using PeftBench.Tasks.Code.Mini;

namespace PeftBench.Tests.Tasks;

/// <summary>The embedded code task: its interpreter on hand-written programs, its generator, and scoring.</summary>
public sealed class CodeMiniLanguageTests
{
    private static MiniValue Run(string program, params long[] x) =>
        MiniInterpreter.Run(program, new Dictionary<string, MiniValue> { ["x"] = MiniValue.List(x), ["k"] = MiniValue.Int(3) });

    private static MiniErrorKind Fails(string program, int stepBudget = MiniInterpreter.DefaultStepBudget)
    {
        try
        {
            MiniInterpreter.Run(program, new Dictionary<string, MiniValue> { ["x"] = MiniValue.List([1, 2]) }, stepBudget);
        }
        catch (MiniException e) { return e.Kind; }
        throw new AssertionException($"expected '{program}' to fail");
    }

    [Test]
    public void RunsHandWrittenPrograms()
    {
        Assert.That(Run("s = 0\nfor v in x { if v % 2 == 0 { s = s + v } }\nreturn s", 1, 2, 3, 4), Is.EqualTo(MiniValue.Int(6)));
        Assert.That(Run("r = []; i = len(x) - 1\nwhile i >= 0 { r = append(r, x[i]); i = i - 1 }\nreturn r", 1, 2, 3),
            Is.EqualTo(MiniValue.List([3, 2, 1])));
        Assert.That(Run("if len(x) > 2 { return 1 } else if len(x) > 0 { return 2 } else { return 3 }", 5), Is.EqualTo(MiniValue.Int(2)));
        Assert.That(Run("return [-7 / 2, -7 % 2, 7 / -2, 2 + 3 * 4, (2 + 3) * 4]"), Is.EqualTo(MiniValue.List([-4, 1, -4, 14, 20])),
            "division floors, as in Python");
        Assert.That(Run("return [1 < 2 and 2 < 1, 1 < 2 or 2 < 1, not 0, true, k]"), Is.EqualTo(MiniValue.List([0, 1, 1, 1, 3])));
        Assert.That(Run("return x + [9] == append(x, 9)", 1, 2), Is.EqualTo(MiniValue.Int(1)));
        Assert.That(Run("# a comment\nn = 0\nfor i in range(2, 5) { n = n + i }\nreturn n"), Is.EqualTo(MiniValue.Int(9)));
    }

    [Test]
    public void ErrorsEndTheProgramCleanly()
    {
        Assert.That(Fails("return 1 / 0"), Is.EqualTo(MiniErrorKind.Runtime));
        Assert.That(Fails("return 1 % (x[0] - 1)"), Is.EqualTo(MiniErrorKind.Runtime));
        Assert.That(Fails("return x[2]"), Is.EqualTo(MiniErrorKind.Runtime), "index out of range");
        Assert.That(Fails("return y"), Is.EqualTo(MiniErrorKind.Runtime), "undefined name");
        Assert.That(Fails("return x + 1"), Is.EqualTo(MiniErrorKind.Runtime), "type error");
        Assert.That(Fails("return 9223372036854775807 + 1"), Is.EqualTo(MiniErrorKind.Runtime), "overflow is an error, not a wrap");
        Assert.That(Fails("return sort(x)"), Is.EqualTo(MiniErrorKind.Runtime), "unknown function");
        Assert.That(Fails("n = 1"), Is.EqualTo(MiniErrorKind.NoReturn));
        Assert.That(Fails("while 1 { }"), Is.EqualTo(MiniErrorKind.StepBudget));
        Assert.That(Fails("n = 0\nwhile n < 100 { n = n + 1 }\nreturn n", stepBudget: 100), Is.EqualTo(MiniErrorKind.StepBudget));
        Assert.That(Fails("r = [1]\nwhile 1 { r = r + r }"), Is.EqualTo(MiniErrorKind.ValueSize));
        Assert.That(Fails("return range(100000000)"), Is.EqualTo(MiniErrorKind.ValueSize));
        Assert.That(Fails("return (1"), Is.EqualTo(MiniErrorKind.Syntax));
        Assert.That(Fails("if 1 { return 1"), Is.EqualTo(MiniErrorKind.Syntax));
        Assert.That(Fails("return 1 $ 2"), Is.EqualTo(MiniErrorKind.Syntax));
        Assert.That(Fails("return " + new string('(', 10_00) + "1" + new string(')', 10_00)), Is.EqualTo(MiniErrorKind.Syntax),
            "deep nesting is refused before it can exhaust the stack");
        Assert.That(Fails("return " + new string('-', 3_000) + "1"), Is.EqualTo(MiniErrorKind.Syntax));
        Assert.That(Fails("return " + string.Join("+", Enumerable.Repeat("1", 1_900))), Is.EqualTo(MiniErrorKind.Syntax),
            "a long operator chain nests as deeply as parentheses");
        Assert.That(Fails("return x" + string.Concat(Enumerable.Repeat("[0]", 1_000))), Is.EqualTo(MiniErrorKind.Syntax));
        Assert.That(Run("return " + string.Join(" + ", Enumerable.Repeat("1", 30))), Is.EqualTo(MiniValue.Int(30)), "short chains are fine");
        var error = Assert.Throws<MiniException>(() => MiniInterpreter.Run("n = 1\nreturn n +", new Dictionary<string, MiniValue>()))!;
        Assert.That(error.Message, Does.StartWith("line 2:"));
    }

    [Test]
    public void EveryReferenceProgramPassesItsOwnTests()
    {
        var all = MiniTasks.All();
        Assert.That(all, Has.Count.EqualTo(220), "47 families; update the count in MiniTasks and MiniCode when they change");
        Assert.That(all.Select(p => p.Id), Is.Unique);
        foreach (var problem in all)
        {
            var (outcome, detail) = MiniScorer.Score(problem, problem.ReferenceProgram);
            Assert.That(outcome, Is.EqualTo(SampleOutcome.Passed), $"{problem.Id}: {detail}");
            Assert.That(problem.Tests, Has.Count.EqualTo(MiniTasks.TestsPerProblem));
        }
        // The oracle and the reference program are independent: a test that would be satisfied by anything is useless.
        Assert.That(all.Count(p => p.Tests.Select(t => t.Expected).Distinct().Count() > 1), Is.GreaterThan(all.Count * 3 / 4));
    }

    [Test]
    public void SplitsHoldDifferentProblemsAndAreDeterministic()
    {
        var (train, test) = MiniTasks.Splits();
        Assert.That(train.Select(p => p.Id).Intersect(test.Select(p => p.Id)), Is.Empty);
        Assert.That(train.Count + test.Count, Is.EqualTo(MiniTasks.All().Count));
        Assert.That(test.Count, Is.EqualTo((int)Math.Round(MiniTasks.All().Count * MiniTasks.TestFraction)));
        var (train2, test2) = MiniTasks.Splits();
        Assert.That(test2.Select(p => p.Id), Is.EqualTo(test.Select(p => p.Id)));
        Assert.That(train2.SelectMany(p => p.Tests.Select(t => t.ToString())), Is.EqualTo(train.SelectMany(p => p.Tests.Select(t => t.ToString()))));
        Assert.That(test.Select(p => p.Description), Has.All.StartWith("return "));
    }

    [Test]
    public void ScoringMapsFailuresAndFeedsPassAtK()
    {
        var problem = MiniTasks.All().Single(p => p.Id == "sum-even");
        Assert.That(MiniScorer.Score(problem, "return 0").Outcome, Is.EqualTo(SampleOutcome.Failed));
        Assert.That(MiniScorer.Score(problem, "while 1 { }").Outcome, Is.EqualTo(SampleOutcome.TimedOut));
        Assert.That(MiniScorer.Score(problem, "r = [1]\nwhile 1 { r = r + r }").Outcome, Is.EqualTo(SampleOutcome.MemoryExceeded));
        Assert.That(MiniScorer.Score(problem, "return x[").Outcome, Is.EqualTo(SampleOutcome.Crashed));

        string[] samples = [problem.ReferenceProgram, "return 0", "while 1 { }", problem.ReferenceProgram];
        var outcomes = samples.Select(s => MiniScorer.Score(problem, s).Outcome).ToList();
        var score = CodeScore.From([outcomes], [1, 2]);
        Assert.That(score.PassAtK[1], Is.EqualTo(0.5).Within(1e-12));
        Assert.That(score.PassAtK[2], Is.EqualTo(1 - 1.0 / 6).Within(1e-12), "1 − C(2,2)/C(4,2)");
    }
}
