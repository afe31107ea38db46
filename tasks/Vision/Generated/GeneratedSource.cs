using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Vision.Generated;

/// <summary>
/// A structured task rendered at load time (nothing shipped): a 1,000-image pool (split 800/200 by
/// <see cref="Vtab1k"/>) and a 1,000-image test split, classes in equal numbers, each from its own stream seeded by
/// the task id. The same on every machine and for every cell; <c>--data-dir</c> does not apply (there is no real
/// counterpart to read), which <see cref="Describe"/> says.
/// </summary>
public sealed class GeneratedSource(string taskId, ISceneGenerator generator) : VisionDataSource(taskId)
{
    public const int PoolCount = Vtab1k.PoolSize;
    public const int TestCount = 1000;

    public ISceneGenerator Generator { get; } = generator;

    public override string Describe(DataOptions options) =>
        $"generated: {TaskId} ({PoolCount} + {TestCount} images, 28×28 grey, seed {Vtab1k.Seed}; --data-dir does not apply)";

    public override IEnumerable<string> Check(DataOptions options) => [];

    protected override (IReadOnlyList<ImageExample> Pool, IReadOnlyList<ImageExample> Test) PoolAndTest(DataOptions options) =>
        (Images("pool", PoolCount), Images("test", TestCount));

    /// <summary>Scenes of one split with their records: image i has class i mod C.</summary>
    public IReadOnlyList<GeneratedImage> Scenes(string split, int count)
    {
        var rng = Vtab1k.RandomFor(TaskId, "generate/" + split);
        return Enumerable.Range(0, count).Select(i => Generator.Generate(rng, i % Generator.Labels.Count)).ToList();
    }

    private IReadOnlyList<ImageExample> Images(string split, int count) =>
        Scenes(split, count).Select(s => new ImageExample(s.Pixels, 1, Scene.Side, Scene.Side, s.Label).Validated()).ToList();
}
