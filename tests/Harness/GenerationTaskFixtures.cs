using PeftBench.Core.Catalogs;
using PeftBench.Core.Tasks;
using PeftBench.Harness;
using PeftBench.Tasks;

namespace PeftBench.Tests.Harness;

/// <summary>A sum written as digits ("3 + 4 =" → " 7"), judged by exact string match after trimming.</summary>
public sealed record SumExample(string Prompt, string Response, string Answer) : PromptExample(Prompt, Response);

/// <summary>
/// A tiny generation task made in the test (sums of one-digit numbers), greedy or sampled, so that the generation path
/// (planner, training loop, batched decoding, judging) runs without the math and code tasks' data.
/// </summary>
public static class GenerationTaskFixtures
{
    public const string GreedyTaskId = "test/sums";
    public const string SampledTaskId = "test/sums-sampled";

    public static TaskSpec Task(string id = GreedyTaskId, int samples = 1, int train = 24, int test = 8) => new(
        id, 1, "sums of one-digit numbers (synthetic, tests only)", ["test-generation"], Modality.Text, HeadSpec.LanguageModel(),
        [new MetricSpec(samples == 1 ? "exact_match" : "pass@1", true, "test", (p, _) => p.Count == 0 ? 0 : p.Average(v => v / samples))],
        new Source(train, test))
    {
        Generation = new GenerationSpec(6, Judge) { Samples = samples },
    };

    public static int Judge(PromptExample example, IReadOnlyList<string> continuations) =>
        continuations.Count(c => c.Trim() == ((SumExample)example).Answer);

    public static List<Example> Sums(int seed, int count)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            int a = rng.Next(10), b = rng.Next(10);
            return (Example)new SumExample($"{a} + {b} =", $" {a + b}", (a + b).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }).ToList();
    }

    /// <summary>The real composition with the two test tasks added.</summary>
    public static Composition Composition() => new()
    {
        Tasks = new Catalog<TaskSpec>("task", TaskCatalog.Create().All.Concat([Task(), Task(SampledTaskId, samples: 4)]), t => t.Id),
    };

    private sealed class Source(int train, int test) : ITaskDataSource
    {
        public string Describe(DataOptions options) => "embedded: synthetic sums";
        public IEnumerable<string> Check(DataOptions options) => [];
        public TaskData Load(DataOptions options) =>
            new(Sums(1, train), new Dictionary<string, IReadOnlyList<Example>> { ["test"] = Sums(2, test) });
    }
}
