namespace PeftBench.Harness.Running;

/// <summary>
/// A test hook: <c>PEFTBENCH_TEST_ABORT_CELL=KEY</c> makes a worker abort (SIGABRT, as libtorch's uncaught C++
/// exceptions do) when it is handed that cell on its first attempt; <c>KEY:always</c> on every attempt. Tests use it to
/// check that a multi-device run records the cell, retries it once on another worker and finishes. Unset, it does nothing.
/// </summary>
public static class WorkerCrashHook
{
    public const string Variable = "PEFTBENCH_TEST_ABORT_CELL";

    public static void AbortIfAsked(string key, int attempt)
    {
        var value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(value)) return;
        var always = value.EndsWith(":always", StringComparison.Ordinal);
        var target = always ? value[..^":always".Length] : value;
        if (target == key && (always || attempt == 1))
            Environment.FailFast($"{Variable}: aborting on cell {key} (attempt {attempt}) as asked.");
    }
}
