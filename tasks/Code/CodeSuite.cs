namespace PeftBench.Tasks.Code;

/// <summary>
/// The code suites' names and task ids: <c>code</c> runs the embedded list-language task (judged in process);
/// <c>code-python</c> MBPP and HumanEval from <c>--data-dir</c>, run by python3 in the sandbox.
/// </summary>
public static class CodeSuite
{
    public const string Name = "code", PythonName = "code-python";

    public static IReadOnlyList<string> TaskIds => ["code/mini"];

    public static IReadOnlyList<string> PythonTaskIds => ["code/mbpp", "code/humaneval"];
}
