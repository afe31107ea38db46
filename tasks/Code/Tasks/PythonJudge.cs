namespace PeftBench.Tasks.Code.Tasks;

/// <summary>
/// The python3 sandbox a Python code task runs its samples in (<see cref="PythonScorer"/>: one process per sample),
/// found on first use — building the task catalog starts no process. <see cref="Check"/> is the task's up-front
/// refusal where python3 cannot run: the scorer's reason, saying what is missing and how to install it.
/// </summary>
public sealed class PythonJudge(string taskId, string? python = null)
{
    private readonly Lazy<PythonScorer> scorer = new(() => PythonScorer.ForTask(taskId, python: python));

    public PythonScorer Scorer => scorer.Value;

    public IEnumerable<string> Check() => Scorer.Runnable ? [] : [Scorer.NotRunnableReason];

    /// <summary>How many of <paramref name="programs"/> (each a candidate with its tests) run to the end with every test passing.</summary>
    public int Passing(IEnumerable<string> programs) => Scorer.Run(programs).Count(r => r.Outcome == SampleOutcome.Passed);
}
