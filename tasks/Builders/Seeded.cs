namespace PeftBench.Tasks.Builders;

/// <summary>
/// Deterministic randomness for the builders: one <see cref="Random"/> per named stream, seeded from the build
/// seed and a stable (FNV-1a) hash of the name, so adding a task never changes another task's data.
/// <c>new Random(int)</c> uses the legacy algorithm that .NET keeps stable across versions.
/// </summary>
public static class Seeded
{
    public static Random For(int seed, string stream)
    {
        uint h = 2166136261;
        foreach (var c in stream) { h ^= c; h *= 16777619; }
        return new Random(unchecked((int)(h ^ (uint)seed)) & int.MaxValue);
    }

    public static List<T> Shuffled<T>(this IEnumerable<T> items, Random rng)
    {
        var list = items.ToList();
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }

    public static T Pick<T>(this IReadOnlyList<T> items, Random rng) => items[rng.Next(items.Count)];
}
