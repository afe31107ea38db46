namespace PeftBench.Tasks.Code.Mini;

/// <summary>Scores one candidate program of the embedded language against a problem's test cases.</summary>
public static class MiniScorer
{
    /// <summary>
    /// Passed when every test returns the expected value. The first failing test decides the outcome: a wrong value is
    /// Failed, an exhausted step budget TimedOut, an over-long list MemoryExceeded, and a syntax or runtime error (or a
    /// program with no <c>return</c>) Crashed.
    /// </summary>
    public static (SampleOutcome Outcome, string Detail) Score(MiniProblem problem, string candidate,
        int stepBudget = MiniInterpreter.DefaultStepBudget)
    {
        foreach (var test in problem.Tests)
        {
            MiniValue actual;
            try { actual = MiniInterpreter.Run(candidate, test.Arguments, stepBudget); }
            catch (MiniException e)
            {
                var outcome = e.Kind switch
                {
                    MiniErrorKind.StepBudget => SampleOutcome.TimedOut,
                    MiniErrorKind.ValueSize => SampleOutcome.MemoryExceeded,
                    _ => SampleOutcome.Crashed,
                };
                return (outcome, $"{test}: {e.Message}");
            }
            if (!actual.Equals(test.Expected)) return (SampleOutcome.Failed, $"{test}: returned {actual}");
        }
        return (SampleOutcome.Passed, $"all {problem.Tests.Count} tests passed");
    }
}
