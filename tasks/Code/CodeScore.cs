namespace PeftBench.Tasks.Code;

/// <summary>The score of a code task: pass@k for each k asked, and how many samples ended each way.</summary>
public sealed record CodeScore(IReadOnlyDictionary<int, double> PassAtK, IReadOnlyDictionary<SampleOutcome, int> Outcomes, int Problems)
{
    /// <summary>
    /// Scores samples grouped by problem (every problem needs at least max(k) samples). pass@k is the mean over problems
    /// of <see cref="Code.PassAtK.Estimate"/> with c = the samples that <see cref="SampleOutcome.Passed"/>.
    /// </summary>
    public static CodeScore From(IReadOnlyList<IReadOnlyList<SampleOutcome>> samplesByProblem, IReadOnlyList<int> ks)
    {
        var counts = samplesByProblem.Select(s => (s.Count, s.Count(o => o == SampleOutcome.Passed))).ToList();
        var passAtK = ks.Distinct().Order().ToDictionary(k => k, k => Code.PassAtK.Mean(counts, k));
        var outcomes = Enum.GetValues<SampleOutcome>().ToDictionary(o => o, o => samplesByProblem.Sum(s => s.Count(x => x == o)));
        return new CodeScore(passAtK, outcomes, samplesByProblem.Count);
    }
}

/// <summary>
/// Runs Python programs (MBPP or HumanEval candidates with their tests) in the <see cref="PythonSandbox"/>, one
/// process per sample, so one hostile sample fails alone. Where python3 cannot run, the task is not runnable:
/// <see cref="Runnable"/> is false and <see cref="NotRunnableReason"/> says why and how to fix it, instead of every
/// sample silently failing.
/// </summary>
public sealed class PythonScorer
{
    private readonly PythonSandbox? sandbox;

    private PythonScorer(string taskId, PythonSandbox? sandbox, string notRunnableReason, SandboxLimits limits)
    {
        TaskId = taskId;
        this.sandbox = sandbox;
        NotRunnableReason = notRunnableReason;
        Limits = limits;
    }

    /// <summary>Finds python3 and the isolation this machine gives (see <see cref="PythonSandbox.Detect"/>).</summary>
    public static PythonScorer ForTask(string taskId, SandboxLimits? limits = null, bool namespaces = true, string? python = null)
    {
        var sandbox = PythonSandbox.Detect(taskId, out string why, namespaces, python);
        return new PythonScorer(taskId, sandbox, why, limits ?? new SandboxLimits());
    }

    public string TaskId { get; }
    public SandboxLimits Limits { get; }
    public bool Runnable => sandbox is not null;
    public string NotRunnableReason { get; }
    /// <summary>What isolation this machine gives (see <see cref="PythonSandbox.Isolation"/>).</summary>
    public string Isolation => sandbox?.Isolation ?? "none (not runnable)";

    /// <summary>Runs each program in its own sandboxed process, in order.</summary>
    public IReadOnlyList<SandboxRun> Run(IEnumerable<string> programs)
    {
        if (sandbox is null) throw new InvalidOperationException(NotRunnableReason);
        return programs.Select(p => sandbox.Run(p, Limits)).ToList();
    }
}
