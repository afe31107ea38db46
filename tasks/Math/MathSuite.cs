namespace PeftBench.Tasks.MathProblems;

/// <summary>
/// The math suites' names and task ids: <c>math</c> runs the embedded synthetic word problems; <c>math-benchmarks</c>
/// the real benchmarks under <c>--data-dir</c> (GSM8K, SVAMP, MAWPS, AQuA-RAT).
/// </summary>
public static class MathSuite
{
    public const string Name = "math", BenchmarksName = "math-benchmarks";

    public static IReadOnlyList<string> TaskIds => ["math/word-problems"];

    public static IReadOnlyList<string> BenchmarkTaskIds => ["math/gsm8k", "math/svamp", "math/mawps", "math/aqua"];
}
