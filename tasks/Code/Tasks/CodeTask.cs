using PeftBench.Core.Tasks;
using PeftBench.Tasks.Metrics;

namespace PeftBench.Tasks.Code.Tasks;

/// <summary>
/// What every code task shares: a decoder with its LM head, trained on prompt → reference program, evaluated by the
/// sampling protocol of Chen et al. (2021): <see cref="Samples"/> = 10 continuations per problem at temperature 0.8 and
/// nucleus 0.95, each run against the problem's tests; pass@1 (primary) and pass@10 by the unbiased estimator.
/// </summary>
public static class CodeTask
{
    public const string TestSplit = "test";
    public const int Samples = 10;
    public const double Temperature = 0.8, TopP = 0.95;

    public static TaskSpec Create(string id, int version, string description, string suite, GenerationSpec generation, ITaskDataSource data) =>
        new(id, version, description, [suite], Modality.Text, HeadSpec.LanguageModel(),
            [GenerationMetrics.PassAtK(1, generation.Samples, TestSplit), GenerationMetrics.PassAtK(10, generation.Samples, TestSplit)], data)
        {
            Generation = generation,
            // The suite average is over pass@1, as code papers report it; pass@10 stays in the tables and CSVs.
            SuiteScoreMetrics = ["pass@1"],
        };

    /// <summary>
    /// A Python task: each continuation becomes a program (<paramref name="program"/>: the candidate with the problem's
    /// tests) run by python3 in the sandbox; the data source gets the judge so that its <c>Check</c> refuses the run
    /// where python3 cannot run. <paramref name="python"/> names the interpreter (null: the system one).
    /// </summary>
    public static TaskSpec Python<T>(string id, int version, string description, int maxNewTokens, IReadOnlyList<string> stopSequences, string? python,
        Func<T, string, string> program, Func<PythonJudge, ITaskDataSource> source) where T : PromptExample
    {
        var judge = new PythonJudge(id, python);
        var generation = Sampling(maxNewTokens, (example, continuations) =>
        {
            var typed = As<T>(example);
            return judge.Passing(continuations.Select(c => program(typed, c)));
        }) with { StopSequences = stopSequences };
        return Create(id, version, description, CodeSuite.PythonName, generation, source(judge));
    }

    /// <summary>The decoding of every code task: <see cref="Samples"/> samples at <see cref="Temperature"/>, <see cref="TopP"/>.</summary>
    public static GenerationSpec Sampling(int maxNewTokens, Func<PromptExample, IReadOnlyList<string>, int> judge) =>
        new(maxNewTokens, judge) { Samples = Samples, Temperature = Temperature, TopP = TopP };

    /// <summary>Train and test examples as the harness takes them.</summary>
    public static TaskData Data(IEnumerable<PromptExample> train, IEnumerable<PromptExample> test) =>
        new(train.ToList<Example>(), new Dictionary<string, IReadOnlyList<Example>>(StringComparer.Ordinal) { [TestSplit] = test.ToList<Example>() });

    /// <summary>The example as the task's own record type, or a clear error when the harness hands another.</summary>
    public static T As<T>(PromptExample example) where T : PromptExample =>
        example as T ?? throw new ArgumentException($"this task judges {typeof(T).Name}s, got a {example.GetType().Name}.", nameof(example));
}
