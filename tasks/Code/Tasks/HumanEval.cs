using PeftBench.Core.Tasks;
using PeftBench.Tasks.Audio;

namespace PeftBench.Tasks.Code.Tasks;

/// <summary>One HumanEval problem as a generation example; the judge runs prompt + continuation + the problem's check.</summary>
public sealed record HumanEvalPromptExample(string Prompt, string Response, HumanEvalProblem Problem) : PromptExample(Prompt, Response)
{
    /// <summary>Prompt = the signature and docstring as released; Response = the canonical solution (the function body).</summary>
    public static HumanEvalPromptExample From(HumanEvalProblem problem) => new(problem.Prompt, problem.CanonicalSolution, problem);
}

/// <summary>
/// <c>code/humaneval</c>: HumanEval (Chen et al., 2021), real data only: <c>DATA/humaneval/HumanEval.jsonl</c> (the 164
/// problems of openai/human-eval's <c>data/HumanEval.jsonl.gz</c>, unzipped), all of them the test split. HumanEval has
/// no training split, so this task trains on MBPP's (<c>DATA/mbpp/mbpp.jsonl</c>, task ids 601–974, in MBPP's prompt
/// format, <see cref="MbppSplits"/>) and is refused without it: the model learns Python from MBPP and is scored on
/// completing HumanEval's functions, the usual transfer setting. Samples stop at human-eval's stop sequences (a new
/// top-level def, class, if, print or comment) and run as python3 processes in the sandbox: prompt + completion + the
/// problem's <c>check</c>. <see cref="MaxNewTokens"/> = 128; many HumanEval prompts alone approach tiny-llama's 256
/// positions, so long problems leave little room and the harness truncates them.
/// </summary>
public static class HumanEval
{
    public const string Id = "code/humaneval";
    public const int MaxNewTokens = 128;
    public const string Folder = "humaneval", File = "HumanEval.jsonl";
    public const string Layout = "humaneval/HumanEval.jsonl (openai/human-eval's data/HumanEval.jsonl.gz, gunzipped)";

    public static IReadOnlyList<string> StopSequences => ["\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#"];

    /// <param name="python">The python3 to run samples with; null finds the system one.</param>
    public static TaskSpec Create(string? python = null) => CodeTask.Python<HumanEvalPromptExample>(Id, 2,
        "HumanEval (--data-dir: humaneval/HumanEval.jsonl, trained on mbpp/mbpp.jsonl's train split), run by python3 in the sandbox, pass@1 and pass@10 from 10 samples",
        MaxNewTokens, StopSequences, python, (example, completion) => example.Problem.Program(completion), judge => new HumanEvalSource(judge));

    public static string? Path(DataOptions options) =>
        RealDataFolder.Find(options, Folder) is { } folder ? System.IO.Path.Combine(folder, File) : null;
}

/// <summary>HumanEval's 164 problems (test) and MBPP's training problems (train).</summary>
public sealed class HumanEvalSource(PythonJudge judge) : ITaskDataSource
{
    public string Describe(DataOptions options) =>
        $"HumanEval: {HumanEval.Path(options) ?? "(needs --data-dir)"}; train: MBPP {MbppSplits.Path(options) ?? "(needs --data-dir)"} (601-974)";

    public IEnumerable<string> Check(DataOptions options) => DataProblems(options).Concat(judge.Check()).ToList();

    public TaskData Load(DataOptions options)
    {
        var problems = DataProblems(options).ToList();
        if (problems.Count > 0) throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        var (train, _) = MbppSplits.Read(MbppSplits.Path(options)!);
        var test = CodeJsonl.ReadHumanEval(HumanEval.Path(options)!);
        return CodeTask.Data(train.Select(MbppPromptExample.From), test.Select(HumanEvalPromptExample.From));
    }

    private static IEnumerable<string> DataProblems(DataOptions options)
    {
        var path = HumanEval.Path(options);
        var problems = RealDataFolder.CheckFolder(path is null ? null : System.IO.Path.GetDirectoryName(path), "HumanEval", HumanEval.Layout).ToList();
        if (problems.Count == 0)
        {
            if (!System.IO.File.Exists(path))
                problems.Add(System.IO.File.Exists(path + ".gz")
                    ? $"HumanEval: '{path}.gz' is still compressed; unzip it (`gunzip -k {path}.gz`)."
                    : $"HumanEval: '{path}' does not exist. --data-dir must hold {HumanEval.Layout}.");
            else
            {
                try
                {
                    var test = CodeJsonl.ReadHumanEval(path!);
                    var unsolved = test.Where(p => p.CanonicalSolution.Length == 0).Select(p => p.TaskId).ToList();
                    if (unsolved.Count > 0) problems.Add($"HumanEval: '{path}' lacks canonical_solution for {unsolved.Count} problems (first: {unsolved[0]}); use the released file.");
                }
                catch (Exception e) when (e is InvalidDataException or FileNotFoundException) { problems.Add($"HumanEval: {e.Message}"); }
            }
        }
        // HumanEval has no training split: the MBPP training problems are required.
        foreach (var mbpp in MbppSplits.Check(options))
            problems.Add($"HumanEval trains on MBPP's training split, which is unavailable: {mbpp}");
        return problems;
    }
}
