using PeftBench.Core.Tasks;
using PeftBench.Tasks.Code.Mini;

namespace PeftBench.Tasks.Code.Tasks;

/// <summary>One problem of <c>code/mini</c> as a generation example; the judge runs continuations against <see cref="Problem"/>'s tests.</summary>
public sealed record MiniPromptExample(string Prompt, string Response, MiniProblem Problem) : PromptExample(Prompt, Response)
{
    /// <summary>
    /// Prompt = a comment header (the language skips <c>#</c> to the end of the line) naming the task and the inputs the
    /// program body sees; Response = the reference program and a newline. Only the continuation is run.
    /// </summary>
    public static MiniPromptExample From(MiniProblem problem) =>
        new($"# task: {problem.Description}\n# inputs: {string.Join(", ", problem.Parameters)}\n", problem.ReferenceProgram + "\n", problem);
}

/// <summary>
/// <c>code/mini</c>: program synthesis in the embedded list language (<see cref="MiniTasks"/>: 220 problems,
/// 165 train / 55 test, every problem in one split), judged by the embedded interpreter (<see cref="MiniScorer"/>,
/// a step budget instead of a wall clock, so a looping sample fails without hanging) — nothing needs installing.
/// pass@1 and pass@10 from 10 samples per problem.
/// <para>Lengths in tiny-llama tokens (measured over all problems; the tests re-measure them): the longest reference
/// program + newline is 48 tokens (mean 29.0), the longest prompt + response 73 (mean 49.7; first-k). <see cref="MaxNewTokens"/> = the longest
/// response plus a margin, a multiple of 8.</para>
/// </summary>
public static class MiniCode
{
    public const string Id = "code/mini";
    public const int MaxNewTokens = 64;

    public static TaskSpec Create() => CodeTask.Create(Id, 2,
        "program synthesis in the embedded list language (embedded, 165 train / 55 test problems), pass@1 and pass@10 from 10 samples",
        CodeSuite.Name, CodeTask.Sampling(MaxNewTokens, Judge) with { StopSequences = StopSequences }, new MiniCodeSource());

    /// <summary>A continuation that goes on to write the next task's header is cut there (the header is a comment, but a second program after it is not).</summary>
    public static IReadOnlyList<string> StopSequences => ["\n# task:"];

    /// <summary>How many continuations pass every test of the problem.</summary>
    public static int Judge(PromptExample example, IReadOnlyList<string> continuations)
    {
        var problem = CodeTask.As<MiniPromptExample>(example).Problem;
        return continuations.Count(c => MiniScorer.Score(problem, c).Outcome == SampleOutcome.Passed);
    }
}

/// <summary>The generator's fixed splits.</summary>
public sealed class MiniCodeSource : ITaskDataSource
{
    public string Describe(DataOptions options) => $"embedded: list-language problems (MiniTasks, seed {MiniTasks.Seed}), test fraction {MiniTasks.TestFraction}";

    public IEnumerable<string> Check(DataOptions options) => [];

    public TaskData Load(DataOptions options)
    {
        var (train, test) = MiniTasks.Splits();
        return CodeTask.Data(train.Select(MiniPromptExample.From), test.Select(MiniPromptExample.From));
    }
}
