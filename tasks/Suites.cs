using PeftBench.Tasks.Glue;

namespace PeftBench.Tasks;

/// <summary>
/// Suite names → task ids in report order, so the CLI can expand <c>--suite glue</c>. A fresh dictionary per
/// call keeps it free of static mutable state.
/// </summary>
public static class Suites
{
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> All() =>
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { [GlueSuite.Name] = GlueSuite.TaskIds };

    public static IReadOnlyList<string> Names => All().Keys.ToList();

    /// <summary>The task ids of a suite; an unknown name throws with the known names.</summary>
    public static IReadOnlyList<string> TaskIds(string suite) =>
        All().TryGetValue(suite.Trim().ToLowerInvariant(), out var ids) ? ids
            : throw new KeyNotFoundException($"unknown suite '{suite}'. Known suites: {string.Join(", ", Names)}.");
}
