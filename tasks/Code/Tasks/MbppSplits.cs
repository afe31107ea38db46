using System.Globalization;
using PeftBench.Core.Tasks;
using PeftBench.Tasks.Audio;

namespace PeftBench.Tasks.Code.Tasks;

/// <summary>One MBPP problem as a generation example; the judge runs continuations with <see cref="Problem"/>'s asserts.</summary>
public sealed record MbppPromptExample(string Prompt, string Response, MbppProblem Problem) : PromptExample(Prompt, Response)
{
    /// <summary>
    /// The description and the asserts the code must pass (Austin et al.'s prompt: task + tests), written as a module
    /// docstring as bigcode-evaluation-harness does, so the prompt is valid Python; Response = the reference code
    /// (MBPP's <c>\r\n</c> line ends normalised) and a newline.
    /// </summary>
    public static MbppPromptExample From(MbppProblem problem) =>
        new($"\"\"\"\n{problem.Text.Trim()}\n{string.Join("\n", problem.TestList)}\n\"\"\"\n", Normalise(problem.Code) + "\n", problem);

    private static string Normalise(string code) => code.Replace("\r\n", "\n").TrimEnd();
}

/// <summary>
/// MBPP (Austin et al., 2021) under <c>--data-dir</c>: <c>DATA/mbpp/mbpp.jsonl</c> as google-research/mbpp ships it
/// (974 problems), split by task id as the paper prescribes: prompt 1–10 (few-shot examples, unused), test 11–510,
/// validation 511–600 (unused), train 601–974.
/// </summary>
public static class MbppSplits
{
    public const string Folder = "mbpp", File = "mbpp.jsonl";
    public const string Layout = "mbpp/mbpp.jsonl as google-research/mbpp ships it (974 problems, JSON Lines)";

    public static (int First, int Last) Test => (11, 510);
    public static (int First, int Last) Train => (601, 974);

    public static string? Path(DataOptions options) =>
        RealDataFolder.Find(options, Folder) is { } folder ? System.IO.Path.Combine(folder, File) : null;

    /// <summary>Problems with the file: no <c>--data-dir</c>, a missing file, a bad row, or an empty split.</summary>
    public static IEnumerable<string> Check(DataOptions options)
    {
        var path = Path(options);
        var problems = RealDataFolder.CheckFolder(path is null ? null : System.IO.Path.GetDirectoryName(path), "MBPP", Layout).ToList();
        if (problems.Count > 0) return problems;
        if (!System.IO.File.Exists(path)) return [$"MBPP: '{path}' does not exist. --data-dir must hold {Layout}."];
        try
        {
            var (train, test) = Read(path!);
            if (train.Count == 0) return [$"MBPP: '{path}' holds no training problems (task ids {Train.First}–{Train.Last}); use the full mbpp.jsonl, not sanitized-mbpp."];
            if (test.Count == 0) return [$"MBPP: '{path}' holds no test problems (task ids {Test.First}–{Test.Last}); use the full mbpp.jsonl."];
            return [];
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException) { return [$"MBPP: {e.Message}"]; }
    }

    /// <summary>The train (601–974) and test (11–510) problems, in file order.</summary>
    public static (IReadOnlyList<MbppProblem> Train, IReadOnlyList<MbppProblem> Test) Read(string path)
    {
        var all = CodeJsonl.ReadMbpp(path).Select(p => (Id: int.TryParse(p.TaskId, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id
            : throw new InvalidDataException($"{path}: task_id '{p.TaskId}' is not an integer; MBPP's ids are 1–974."), Problem: p)).ToList();
        List<MbppProblem> In((int First, int Last) range) => all.Where(p => p.Id >= range.First && p.Id <= range.Last).Select(p => p.Problem).ToList();
        return (In(Train), In(Test));
    }
}
