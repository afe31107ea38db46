using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.MathProblems.Tasks;

/// <summary>
/// <c>math/word-problems</c>: the embedded default of the math suite, synthetic multi-step arithmetic word problems with
/// GSM8K-style worked solutions (<see cref="WordProblemGenerator"/>: 2,000 train / 300 test, seed 8008; test problems
/// share templates with training but never their arithmetic). Exact match of the final answer, greedy decoding.
/// <para>Lengths in tiny-llama tokens (measured over all 2,300 problems; the tests re-measure them): the longest
/// response is 86 tokens (mean 66.5), the longest prompt + response 140 (mean 118.7; + bos and eos, far inside tiny-llama's
/// 256 positions). <see cref="MaxNewTokens"/> = the longest response plus a margin, rounded up to a multiple of 8, so a
/// model that writes the solution style it was trained on is never cut off before its <c>#### N</c> line.</para>
/// </summary>
public static class WordProblems
{
    public const string Id = "math/word-problems";
    public const int MaxNewTokens = 104;

    public static TaskSpec Create() => MathTask.Create(Id, 1,
        "synthetic multi-step arithmetic word problems with worked solutions (embedded, 2,000 train / 300 test), exact match of the final answer",
        MathSuite.Name, MaxNewTokens, new WordProblemsSource());
}

/// <summary>The generator's fixed splits (never the cell seed: every cell sees the same problems).</summary>
public sealed class WordProblemsSource : ITaskDataSource
{
    public string Describe(DataOptions options) =>
        $"embedded: synthetic word problems (WordProblemGenerator, seed {WordProblemGenerator.TaskSeed}): {WordProblemGenerator.TrainCount} train / {WordProblemGenerator.TestCount} test";

    public IEnumerable<string> Check(DataOptions options) => [];

    public TaskData Load(DataOptions options)
    {
        var splits = WordProblemGenerator.Generate();
        return MathTask.Data(splits.Train.Select(e => MathPromptExample.From(e, MathAnswerKind.Number)),
            splits.Test.Select(e => MathPromptExample.From(e, MathAnswerKind.Number)));
    }
}
