using PeftBench.Core.Tasks;
using PeftBench.Tasks.Metrics;

namespace PeftBench.Tasks.MathProblems.Tasks;

/// <summary>
/// What every math task shares: a decoder with its LM head, trained on <see cref="MathPromptExample"/>s (loss on the
/// response only) and decoded greedily, one continuation per problem; the judge extracts the final answer
/// (<see cref="MathAnswers"/>: after the last <c>####</c>, else the last number or option letter) and compares it
/// with the gold one. The metric is exact match on the split <see cref="TestSplit"/>.
/// </summary>
public static class MathTask
{
    public const string TestSplit = "test";

    public static TaskSpec Create(string id, int version, string description, string suite, int maxNewTokens, ITaskDataSource data) =>
        new(id, version, description, [suite], Modality.Text, HeadSpec.LanguageModel(),
            [GenerationMetrics.ExactMatch(TestSplit)], data)
        {
            Generation = new GenerationSpec(maxNewTokens, Judge),
        };

    /// <summary>How many of <paramref name="continuations"/> give the example's gold answer.</summary>
    public static int Judge(PromptExample example, IReadOnlyList<string> continuations)
    {
        var math = example as MathPromptExample
            ?? throw new ArgumentException($"a math task judges MathPromptExamples, got a {example.GetType().Name}.", nameof(example));
        return continuations.Count(math.IsAnsweredBy);
    }

    /// <summary>Train and test examples as the harness takes them.</summary>
    public static TaskData Data(IEnumerable<MathPromptExample> train, IEnumerable<MathPromptExample> test) =>
        new(train.ToList<Example>(), new Dictionary<string, IReadOnlyList<Example>>(StringComparer.Ordinal) { [TestSplit] = test.ToList<Example>() });
}
