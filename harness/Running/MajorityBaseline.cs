using System.Text.Json.Nodes;
using PeftBench.Core.Tasks;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Probes;
using PeftBench.Reports;

namespace PeftBench.Harness.Running;

/// <summary>
/// The reference every table needs: predict the training split's most frequent class (regression: its mean)
/// for every evaluation example. A method that does not beat it has learned nothing from the task. Written
/// beside the cells as <c>cells/ref-KEY.json</c> with method <c>majority-class</c> and family <c>reference</c>;
/// it is not a registered method and trains nothing. It is filed under each model of the run so that it sits
/// in that model's table (its numbers do not depend on the model).
/// </summary>
public static class MajorityBaseline
{
    public const string MethodId = "majority-class";

    public static CellResult Compute(TaskSpec task, DataOptions data, string model, Profile profile, string device, int threads)
    {
        var loaded = task.Data.Load(data);
        float constant = task.Head.IsRegression
            ? (float)loaded.Train.Average(e => e.Label)
            : loaded.Train.GroupBy(e => e.Label).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        var metrics = new Dictionary<string, double>();
        foreach (var metric in task.Metrics)
        {
            var split = loaded.Evaluation[metric.Split];
            var count = profile.Recipe.MaxEvalExamples > 0 ? Math.Min(profile.Recipe.MaxEvalExamples, split.Count) : split.Count;
            var gold = split.Take(count).Select(e => e.Label).ToList();
            metrics[metric.Name] = metric.Compute(Enumerable.Repeat(constant, count).ToList(), gold);
        }
        var identity = new JsonObject
        {
            ["reference"] = MethodId, ["task"] = task.Id, ["task_version"] = task.Version, ["data"] = task.Data.Describe(data),
            ["max_eval_examples"] = profile.Recipe.MaxEvalExamples, ["model"] = model,
        };
        return new CellResult
        {
            Key = "ref-" + CellKey.Compute(identity),
            Status = CellStatus.Ok,
            Cell = new CellSpec
            {
                Task = task.Id, TaskVersion = task.Version, Model = model, Method = MethodId, MethodFamily = "reference",
                Config = new JsonObject { ["predicts"] = task.Head.IsRegression ? $"training mean {constant:F3}" : $"class {constant}" },
                Profile = profile.Id, Device = device, Threads = threads,
            },
            Metrics = metrics,
            PrimaryMetric = task.Primary.Name,
            HigherIsBetter = task.Metrics.ToDictionary(m => m.Name, m => m.HigherIsBetter),
            TaskScore = task.ScoreOf(metrics),
            ScoreMetrics = task.ScoreMetrics.ToList(),
            Suites = task.Suites.ToList(),
            Parameters = new ParameterSummary(),
            Provenance = EnvironmentProbe.Capture(device, threads, 0),
        };
    }
}
