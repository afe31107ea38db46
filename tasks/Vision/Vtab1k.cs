using PeftBench.Core.Tasks;
using PeftBench.Tasks.Builders;

namespace PeftBench.Tasks.Vision;

/// <summary>
/// The VTAB-1k protocol (Zhai et al., 2019, "A Large-scale Study of Representation Learning with the Visual Task
/// Adaptation Benchmark"): 1,000 training examples per task, split once into 800 for training and 200 for model
/// selection ("train800" / "val200"), and the full test split for the reported score. The draw is fixed per task:
/// its randomness comes from the task id (never from a cell's seed), so every method and seed sees the same 1,000
/// images. Both draws are stratified by class (largest-remainder quotas), so class frequencies follow the source split.
/// One implementation for every vision task, embedded or real.
/// </summary>
public static class Vtab1k
{
    public const int PoolSize = 1000;
    public const int TrainSize = 800;
    public const int ValidationSize = 200;
    public const string ValidationSplit = "val";
    public const string TestSplit = "test";

    /// <summary>Changing this changes every vision task's 800/200 split: bump their versions.</summary>
    public const int Seed = 20251125;

    /// <summary>A random stream fixed by the task id and a stream name (FNV-1a, as the GLUE builders).</summary>
    public static Random RandomFor(string taskId, string stream) => Seeded.For(Seed, taskId + "/" + stream);

    /// <summary>
    /// Positions (into <paramref name="labels"/>) of the task's 1,000 training examples, drawn from a full training
    /// split. Embedded subsets ship exactly these, in this order, so they split like the real data.
    /// </summary>
    public static IReadOnlyList<int> Pool(string taskId, IReadOnlyList<int> labels)
    {
        if (labels.Count < PoolSize)
            throw new InvalidDataException($"{taskId}: the training split has {labels.Count} examples; VTAB-1k draws {PoolSize}.");
        return Stratified(labels, PoolSize, RandomFor(taskId, "pool1000"));
    }

    /// <summary>The fixed 800/200 split of a 1,000-example pool: positions into it, the 200 stratified by class.</summary>
    public static (IReadOnlyList<int> Train, IReadOnlyList<int> Validation) Split(string taskId, IReadOnlyList<int> poolLabels)
    {
        if (poolLabels.Count != PoolSize)
            throw new InvalidDataException($"{taskId}: a VTAB-1k pool holds {PoolSize} examples, not {poolLabels.Count}.");
        var validation = Stratified(poolLabels, ValidationSize, RandomFor(taskId, "val200"));
        var held = validation.ToHashSet();
        return (Enumerable.Range(0, PoolSize).Where(i => !held.Contains(i)).ToList(), validation);
    }

    /// <summary>The task's data: train800 from the pool, val200 from the pool, and the whole test split.</summary>
    public static TaskData Data(string taskId, IReadOnlyList<ImageExample> pool, IReadOnlyList<ImageExample> test)
    {
        var (train, validation) = Split(taskId, pool.Select(e => (int)e.Label).ToList());
        return new TaskData(train.Select(i => (Example)pool[i]).ToList(), new Dictionary<string, IReadOnlyList<Example>>(StringComparer.Ordinal)
        {
            [ValidationSplit] = validation.Select(i => (Example)pool[i]).ToList(),
            [TestSplit] = test.Cast<Example>().ToList(),
        });
    }

    /// <summary>
    /// <paramref name="count"/> positions, each class getting its share of <paramref name="count"/> rounded by largest
    /// remainder (ties to the smaller class index); members picked at random within a class; the result in random order.
    /// </summary>
    public static IReadOnlyList<int> Stratified(IReadOnlyList<int> labels, int count, Random rng)
    {
        if (count > labels.Count) throw new ArgumentOutOfRangeException(nameof(count), $"cannot draw {count} of {labels.Count} examples.");
        var byClass = Enumerable.Range(0, labels.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key).Select(g => g.ToList()).ToList();
        var exact = byClass.Select(g => (double)count * g.Count / labels.Count).ToList();
        var quota = exact.Select(x => (int)Math.Floor(x)).ToArray();
        foreach (var c in Enumerable.Range(0, byClass.Count).OrderByDescending(c => exact[c] - quota[c]).ThenBy(c => c).Take(count - quota.Sum()))
            quota[c]++;
        var picked = byClass.SelectMany((members, c) => members.Shuffled(rng).Take(quota[c])).ToList();
        return picked.Shuffled(rng);
    }
}
