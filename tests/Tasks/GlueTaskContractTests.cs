using NUnit.Framework;
using PeftBench.Core.Tasks;
using PeftBench.Tasks;

namespace PeftBench.Tests.Tasks;

/// <summary>Every GLUE task through the same checks on its embedded data (tests are contracts over catalogs).</summary>
public class GlueTaskContractTests
{
    private static IEnumerable<string> TaskIds() => Suites.TaskIds("glue");

    [Test]
    public void The_glue_suite_lists_the_nine_tasks_in_paper_order()
    {
        Assert.That(Suites.TaskIds("glue"), Is.EqualTo(new[]
            { "glue/cola", "glue/sst2", "glue/mrpc", "glue/stsb", "glue/qqp", "glue/mnli", "glue/qnli", "glue/rte", "glue/wnli" }));
        var catalog = TaskCatalog.Create();
        Assert.That(Suites.TaskIds("glue").All(catalog.Contains), Is.True);
        Assert.That(catalog.All.Where(t => t.Modality == Modality.Text && !t.IsGeneration).All(t => t.Suites.SequenceEqual(["glue"])), Is.True);
        Assert.Throws<KeyNotFoundException>(() => Suites.TaskIds("superglue"));
    }

    [Test]
    public void Primary_metrics_are_the_glue_ones()
    {
        var catalog = TaskCatalog.Create();
        string Names(string id) => string.Join(",", catalog.Get(id).Metrics.Select(m => m.Name));
        Assert.That(Names("glue/cola"), Is.EqualTo("mcc"));
        Assert.That(Names("glue/mrpc"), Is.EqualTo("f1,accuracy"));
        Assert.That(Names("glue/stsb"), Is.EqualTo("pearson,spearman"));
        Assert.That(Names("glue/mnli"), Is.EqualTo("accuracy_m,accuracy_mm"));
        Assert.That(catalog.Get("glue/stsb").Head.IsRegression, Is.True);
        Assert.That(catalog.Get("glue/mnli").ScoreMetrics, Is.EqualTo(new[] { "accuracy_m", "accuracy_mm" }));
    }

    [TestCaseSource(nameof(TaskIds))]
    public void Embedded_data_loads_with_its_splits_labels_and_balance(string taskId)
    {
        var task = TaskCatalog.Create().Get(taskId);
        var options = new DataOptions(null);
        Assert.That(task.Data.Check(options), Is.Empty, task.Data.Describe(options));
        var data = task.Data.Load(options);

        Assert.That(data.Evaluation.Keys, Is.EquivalentTo(task.Metrics.Select(m => m.Split).Distinct()));
        Assert.That(data.TrainAs<TextExample>().Count, Is.InRange(500, 5000));
        foreach (var split in data.Evaluation.Values) Assert.That(split.Count, Is.InRange(70, 1000));

        bool pair = taskId is not ("glue/cola" or "glue/sst2");
        foreach (var e in data.TrainAs<TextExample>().Concat(data.Evaluation.Keys.SelectMany(data.EvaluationAs<TextExample>)))
        {
            Assert.That(e.TextA, Is.Not.Empty);
            Assert.That(e.TextB is not null, Is.EqualTo(pair));
            if (task.Head.IsRegression) Assert.That(e.Label, Is.InRange(0f, 5f));
            else Assert.That(e.Label, Is.AnyOf(Enumerable.Range(0, task.Head.Outputs).Select(i => (object)(float)i).ToArray()));
        }

        if (task.Head.IsRegression)
        {
            // scores spread over the scale: every unit band [k, k+1) holds at least 5 % of the training pairs
            for (int k = 0; k < 5; k++)
                Assert.That(data.TrainAs<TextExample>().Count(e => e.Label >= k && (e.Label < k + 1 || k == 4)), Is.GreaterThan(data.TrainAs<TextExample>().Count / 20), $"band {k}");
        }
        else
        {
            // non-trivial balance: every class holds at least 20 % of train and of each evaluation split
            foreach (var (name, split) in data.Evaluation.Append(new("train", data.TrainAs<TextExample>())))
                for (int c = 0; c < task.Head.Outputs; c++)
                    Assert.That(split.Count(e => e.Label == c), Is.GreaterThanOrEqualTo(split.Count / 5), $"{name} class {c}");
        }

        // premises / first sentences never repeat across train and evaluation
        var trainTexts = data.TrainAs<TextExample>().Select(e => e.TextA).ToHashSet(StringComparer.Ordinal);
        foreach (var name in data.Evaluation.Keys)
            Assert.That(data.EvaluationAs<TextExample>(name).Count(e => trainTexts.Contains(e.TextA)), Is.LessThanOrEqualTo(taskId == "glue/wnli" ? data.Evaluation[name].Count : 0), name);
    }
}
