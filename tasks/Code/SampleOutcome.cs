namespace PeftBench.Tasks.Code;

/// <summary>
/// What happened to one generated program. Only <see cref="Passed"/> counts towards pass@k; the others say why a sample
/// failed, so a report can tell wrong answers from hangs and crashes. Every outcome belongs to one sample only.
/// </summary>
public enum SampleOutcome
{
    /// <summary>Ran to the end with every test passing.</summary>
    Passed,
    /// <summary>A test failed: an assertion, a wrong answer, or a non-zero exit code the program chose.</summary>
    Failed,
    /// <summary>Ran past the wall-clock limit (Python) or the step budget (embedded language) and was stopped.</summary>
    TimedOut,
    /// <summary>Ran past the memory limit (Python) or the value-size limit (embedded language).</summary>
    MemoryExceeded,
    /// <summary>Did not run to its tests: a syntax error, an exception other than an assertion, or death by a signal.</summary>
    Crashed,
}
