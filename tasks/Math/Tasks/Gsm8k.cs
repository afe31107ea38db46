using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.MathProblems.Tasks;

/// <summary>
/// <c>math/gsm8k</c>: GSM8K (Cobbe et al., 2021), real data only: <c>DATA/gsm8k/train.jsonl</c> (7,473) and
/// <c>test.jsonl</c> (1,319) as openai/grade-school-math ships them (<c>grade_school_math/data/</c>). Trained on the
/// worked solutions with their calculator annotations (<see cref="Gsm8kReader"/>), scored by exact match of the final
/// answer on the test file.
/// <para>GSM8K solutions are long for tiny-llama (one token a digit, ~6 tokens an annotation): many problem + solution
/// pairs exceed its 256 positions, so training sees them truncated and generation stops at the context's end; an
/// answer that would come after the cut counts as wrong. <see cref="MaxNewTokens"/> = 192 leaves the model room for a
/// typical solution; the context, not this limit, is what binds on the long ones.</para>
/// </summary>
public static class Gsm8k
{
    public const string Id = "math/gsm8k";
    public const int MaxNewTokens = 192;

    public static TaskSpec Create() => MathTask.Create(Id, 1,
        "GSM8K (--data-dir: gsm8k/train.jsonl + test.jsonl), grade-school math with worked solutions, exact match of the final answer",
        MathSuite.BenchmarksName, MaxNewTokens,
        new MathBenchmarkSource("GSM8K", ["gsm8k"], MathAnswerKind.Number,
            MathFileLayout.TrainTest("train.jsonl", "test.jsonl", path => Gsm8kReader.Read(path))));
}
