using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Code.Tasks;

/// <summary>
/// <c>code/mbpp</c>: MBPP (Austin et al., 2021), real data only (<see cref="MbppSplits"/>: <c>DATA/mbpp/mbpp.jsonl</c>;
/// train 601–974, test 11–510). Each sample runs as its own python3 process in the sandbox with the problem's setup code
/// and its three asserts (<see cref="MbppProblem.Program"/>); pass@1 and pass@10 from 10 samples. A continuation stops
/// at eos or where the model starts writing tests or a new docstring. <see cref="MaxNewTokens"/> = 128: MBPP reference
/// solutions are mostly under 10 lines; prompts (description + three asserts) plus the solution can exceed
/// tiny-llama's 256 positions on the longest problems, which the harness truncates.
/// </summary>
public static class Mbpp
{
    public const string Id = "code/mbpp";
    public const int MaxNewTokens = 128;

    public static IReadOnlyList<string> StopSequences => ["\nassert", "\n\"\"\"", "\nif __name__", "\nprint("];

    /// <param name="python">The python3 to run samples with; null finds the system one.</param>
    public static TaskSpec Create(string? python = null) => CodeTask.Python<MbppPromptExample>(Id, 2,
        "MBPP (--data-dir: mbpp/mbpp.jsonl; train 601-974, test 11-510), run by python3 in the sandbox, pass@1 and pass@10 from 10 samples",
        MaxNewTokens, StopSequences, python, (example, candidate) => example.Problem.Program(candidate), judge => new MbppSource(judge));
}

/// <summary>MBPP's train and test problems; not loadable (and not runnable) without the file and a working python3.</summary>
public sealed class MbppSource(PythonJudge judge) : ITaskDataSource
{
    public string Describe(DataOptions options) => $"MBPP: {MbppSplits.Path(options) ?? "(needs --data-dir)"}";

    public IEnumerable<string> Check(DataOptions options) => MbppSplits.Check(options).Concat(judge.Check()).ToList();

    public TaskData Load(DataOptions options)
    {
        var problems = MbppSplits.Check(options).ToList();
        if (problems.Count > 0) throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        var (train, test) = MbppSplits.Read(MbppSplits.Path(options)!);
        return CodeTask.Data(train.Select(MbppPromptExample.From), test.Select(MbppPromptExample.From));
    }
}
