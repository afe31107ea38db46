using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Metrics;

/// <summary>
/// Metrics of generation tasks. A generation task's per-example prediction is the number of its continuations the
/// task's judge accepted (<see cref="GenerationSpec.Judge"/>); gold is unused. Counts are read after rounding, so a
/// float 0.9999 never loses a pass. An empty split gives 0, not NaN, as the GLUE metrics do.
/// </summary>
public static class GenerationMetrics
{
    /// <summary>Exact match (GSM8K-style accuracy): the fraction of examples whose one greedy continuation was judged correct.</summary>
    public static MetricSpec ExactMatch(string split) =>
        new("exact_match", true, split, (predictions, _) => predictions.Count == 0 ? 0 : predictions.Average(p => Math.Min(1, Count(p))));

    /// <summary>
    /// pass@k (Chen et al., 2021, §2.1): the mean over problems of the unbiased estimate 1 − C(n−c, k)/C(n, k), with
    /// n = <paramref name="samples"/> continuations per problem and c = the prediction (how many passed).
    /// </summary>
    public static MetricSpec PassAtK(int k, int samples, string split)
    {
        if (k < 1 || k > samples)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"pass@{k} needs 1 ≤ k ≤ samples per problem ({samples}); generate at least {k} samples or lower k.");
        return new($"pass@{k}", true, split, (predictions, _) =>
            predictions.Count == 0 ? 0 : predictions.Average(p => Code.PassAtK.Estimate(samples, Count(p), k)));
    }

    private static int Count(float prediction) => (int)MathF.Round(prediction);
}
