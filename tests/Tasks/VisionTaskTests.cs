using NUnit.Framework;
using PeftBench.Core.Tasks;
using PeftBench.Tasks;
using PeftBench.Tasks.Builders;
using PeftBench.Tasks.Vision;
using PeftBench.Tasks.Vision.Generated;
using PeftBench.Tasks.Vision.Tasks;

namespace PeftBench.Tests.Tasks;

/// <summary>
/// The vision suite's declaration, the VTAB-1k sampler (sizes, stratification, determinism from the task id), every
/// embedded or generated task's splits, and the structured generators' labels re-derived from their records and from
/// the rendered pixels.
/// </summary>
public sealed class VisionTaskTests
{
    private static IEnumerable<string> SuiteTasks() => VisionSuite.TaskIds;

    private static readonly Dictionary<string, int> TestSizes = new()
    {
        ["vision/fashion-mnist"] = VisionDataBuilder.FashionMnistTestCount, ["vision/digits"] = 797,
        ["vision/shape"] = 1000, ["vision/count"] = 1000, ["vision/position"] = 1000, ["vision/orientation"] = 1000, ["vision/distance"] = 1000,
    };

    [Test]
    public void TheVisionSuiteDeclaresVtabTasksWithGroupsAndModelSelection()
    {
        var suite = Suites.Find("vision")!;
        Assert.That(suite.TaskIds, Is.EqualTo(VisionSuite.TaskIds));
        Assert.That(suite.DefaultModels, Is.EqualTo(new[] { "tiny-vit" }));
        Assert.That(suite.DefaultMethods, Is.EqualTo(new[] { "full-ft", "linear-probe", "bitfit", "lora", "houlsby", "adaptformer", "vpt-shallow", "vpt-deep", "ssf" }));
        var catalog = TaskCatalog.Create();
        foreach (var task in catalog.All.Where(t => t.Id.StartsWith("vision/", StringComparison.Ordinal)))
        {
            Assert.That(task.Modality, Is.EqualTo(Modality.Image), task.Id);
            Assert.That(task.Suites, Is.EqualTo(new[] { "vision" }), task.Id);
            Assert.That(VisionSuite.Groups, Does.Contain(task.Group), task.Id);
            Assert.That(task.ModelSelectionSplit, Is.EqualTo("val"), task.Id);
            Assert.That((task.Primary.Name, task.Primary.Split), Is.EqualTo(("accuracy", "test")), task.Id);
            Assert.That(task.Metrics.Select(m => m.Split), Is.EqualTo(new[] { "test", "val" }), task.Id);
            Assert.That(task.ScoreMetrics, Is.EqualTo(new[] { "accuracy" }), "the suite averages test accuracy only");
        }
        Assert.That(VisionSuite.TaskIds.Select(id => catalog.Get(id).Group).Distinct(), Is.EqualTo(new[] { "natural", "structured" }));
        Assert.That(catalog.Get("vision/eurosat").Group, Is.EqualTo("specialized"));
    }

    [Test]
    public void StratifiedDrawsKeepClassSharesAndAreFixedByTheTaskId()
    {
        var labels = Enumerable.Repeat(0, 500).Concat(Enumerable.Repeat(1, 300)).Concat(Enumerable.Repeat(2, 200)).ToList();
        var drawn = Vtab1k.Stratified(labels, 100, new Random(1));
        Assert.That(drawn.GroupBy(i => labels[i]).OrderBy(g => g.Key).Select(g => g.Count()), Is.EqualTo(new[] { 50, 30, 20 }));
        Assert.That(drawn.Distinct().Count(), Is.EqualTo(100));
        // Largest remainder: 3 classes of 1 share 2 places; the ties go to the smaller class indices.
        Assert.That(Vtab1k.Stratified([0, 1, 2], 2, new Random(1)).Select(i => i).Order(), Is.EqualTo(new[] { 0, 1 }));

        var big = Enumerable.Range(0, 5000).Select(i => i % 10).ToList();
        var pool = Vtab1k.Pool("vision/x", big);
        Assert.That(pool, Is.EqualTo(Vtab1k.Pool("vision/x", big)), "same task id, same draw");
        Assert.That(pool, Is.Not.EqualTo(Vtab1k.Pool("vision/y", big)), "another task, another draw");
        var poolLabels = pool.Select(i => big[i]).ToList();
        var (train, validation) = Vtab1k.Split("vision/x", poolLabels);
        Assert.That((train.Count, validation.Count), Is.EqualTo((800, 200)));
        Assert.That(train.Concat(validation).Order(), Is.EqualTo(Enumerable.Range(0, 1000)));
        Assert.That(validation.GroupBy(i => poolLabels[i]).Select(g => g.Count()), Has.All.EqualTo(20));
        Assert.That(() => Vtab1k.Pool("vision/x", big.Take(999).ToList()), Throws.TypeOf<InvalidDataException>());
    }

    [TestCaseSource(nameof(SuiteTasks))]
    public void EmbeddedTaskLoads800_200_AndItsTestSplitDeterministically(string taskId)
    {
        var task = TaskCatalog.Create().Get(taskId);
        var options = new DataOptions(null);
        Assert.That(task.Data.Check(options), Is.Empty, task.Data.Describe(options));
        var data = task.Data.Load(options);
        var train = data.TrainAs<ImageExample>();
        var validation = data.EvaluationAs<ImageExample>("val");
        var test = data.EvaluationAs<ImageExample>("test");
        Assert.That((train.Count, validation.Count, test.Count), Is.EqualTo((800, 200, TestSizes[taskId])));
        Assert.That(data.Evaluation.Keys, Is.EquivalentTo(task.Metrics.Select(m => m.Split)));

        foreach (var e in train.Concat(validation).Concat(test))
        {
            Assert.That(e.Validated(), Is.SameAs(e));
            Assert.That(e.Label, Is.InRange(0, task.Head.Outputs - 1));
            Assert.That(e.Label, Is.EqualTo(MathF.Round(e.Label)));
        }
        for (int c = 0; c < task.Head.Outputs; c++)
        {
            Assert.That(train.Count(e => e.Label == c), Is.GreaterThanOrEqualTo(800 / task.Head.Outputs / 2), $"train class {c}");
            Assert.That(validation.Count(e => e.Label == c), Is.GreaterThanOrEqualTo(200 / task.Head.Outputs / 2), $"val class {c}");
            Assert.That(test.Count(e => e.Label == c), Is.GreaterThan(0), $"test class {c}");
        }

        // No image is both trained on (or selected on) and scored on.
        string Key(ImageExample e) => Convert.ToBase64String(e.Pixels);
        var seen = train.Concat(validation).Select(Key).ToHashSet();
        Assert.That(test.Count(e => seen.Contains(Key(e))), Is.Zero, "train/val images in test");
        Assert.That(validation.Count(e => train.Select(Key).Contains(Key(e))), Is.Zero, "train images in val");

        var again = task.Data.Load(options);
        Assert.That(again.TrainAs<ImageExample>().Select(Key), Is.EqualTo(train.Select(Key)), "same images, same order");
        Assert.That(again.TrainAs<ImageExample>().Select(e => e.Label), Is.EqualTo(train.Select(e => e.Label)));
        Assert.That(again.EvaluationAs<ImageExample>("test").Select(Key), Is.EqualTo(test.Select(Key)));
    }

    [Test]
    public void EmbeddedFashionMnistIsNotPretrainingData()
    {
        using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(VisionDataSource.EmbeddedRoot, "MANIFEST.json")));
        var fashion = manifest.RootElement.GetProperty("datasets").EnumerateArray().Single(d => d.GetProperty("task").GetString() == FashionMnist.Id);
        var indices = fashion.GetProperty("train_indices").EnumerateArray().Select(i => i.GetInt32()).ToList();
        Assert.That(indices, Has.Count.EqualTo(1000));
        Assert.That(indices, Has.All.InRange(DownstreamHoldout.FashionMnistReservedStart, 59_999));
        Assert.That(indices.Distinct().Count(), Is.EqualTo(1000));
    }

    private static GeneratedSource Source(string id) => (GeneratedSource)TaskCatalog.Create().Get(id).Data;

    /// <summary>Pixels above the level no background reaches (≤ 40 + noise) and every fully covered object pixel exceeds (≥ 150 − noise).</summary>
    private static bool[] Foreground(byte[] pixels) => pixels.Select(p => p >= 100).ToArray();

    /// <summary>8-connected components of the foreground: pixel lists.</summary>
    private static List<List<(int R, int C)>> Components(bool[] mask)
    {
        const int n = Scene.Side;
        var label = new int[n * n];
        var components = new List<List<(int, int)>>();
        for (int start = 0; start < n * n; start++)
        {
            if (!mask[start] || label[start] != 0) continue;
            var component = new List<(int, int)>();
            var stack = new Stack<int>([start]);
            label[start] = components.Count + 1;
            while (stack.Count > 0)
            {
                int p = stack.Pop(), r = p / n, c = p % n;
                component.Add((r, c));
                for (int dr = -1; dr <= 1; dr++)
                    for (int dc = -1; dc <= 1; dc++)
                    {
                        int rr = r + dr, cc = c + dc;
                        if (rr < 0 || cc < 0 || rr >= n || cc >= n || !mask[rr * n + cc] || label[rr * n + cc] != 0) continue;
                        label[rr * n + cc] = components.Count + 1;
                        stack.Push(rr * n + cc);
                    }
            }
            components.Add(component);
        }
        return components;
    }

    private static (double X, double Y) Centroid(List<(int R, int C)> pixels) => (pixels.Average(p => p.C + 0.5), pixels.Average(p => p.R + 0.5));

    [Test]
    public void CountLabelsAreTheNumberOfBlobsInThePixels()
    {
        foreach (var s in Source(Count.Id).Scenes("pool", 1000))
        {
            Assert.That(s.Objects, Has.Count.EqualTo(s.Label + 1));
            Assert.That(Components(Foreground(s.Pixels)), Has.Count.EqualTo(s.Label + 1));
        }
    }

    [Test]
    public void OrientationLabelsMatchThePrincipalAxisOfThePixels()
    {
        foreach (var s in Source(Orientation.Id).Scenes("pool", 1000))
        {
            var bar = s.Objects.Single();
            Assert.That(Orientation.Scenes.Bin(bar.Angle), Is.EqualTo(s.Label));
            // The bar's axis from the second moments of its pixels (y down, angle counter-clockwise as drawn).
            var pixels = Components(Foreground(s.Pixels)).SelectMany(c => c).ToList();
            var (x, y) = Centroid(pixels);
            double sxx = pixels.Average(p => (p.C + 0.5 - x) * (p.C + 0.5 - x)), syy = pixels.Average(p => (p.R + 0.5 - y) * (p.R + 0.5 - y));
            double sxy = pixels.Average(p => (p.C + 0.5 - x) * (p.R + 0.5 - y));
            double measured = (-0.5 * Math.Atan2(2 * sxy, sxx - syy) * 180 / Math.PI + 180) % 180;
            double error = Math.Abs(measured - bar.Angle) % 180;
            Assert.That(Math.Min(error, 180 - error), Is.LessThan(6), $"bar at {bar.Angle:0.0}°, pixels say {measured:0.0}°");
        }
    }

    [Test]
    public void PositionLabelsAreTheGridCellOfTheObject()
    {
        foreach (var s in Source(Position.Id).Scenes("pool", 1000))
        {
            var o = s.Objects.Single();
            Assert.That(3 * Position.Scenes.Bin(o.Y) + Position.Scenes.Bin(o.X), Is.EqualTo(s.Label));
            if (o.Kind is ShapeKind.Triangle) continue; // its centroid sits below its box centre
            var (x, y) = Centroid(Components(Foreground(s.Pixels)).OrderByDescending(c => c.Count).First());
            Assert.That(Math.Max(Math.Abs(x - o.X), Math.Abs(y - o.Y)), Is.LessThan(0.75), "the drawn object is where the record says");
        }
    }

    [Test]
    public void DistanceLabelsAreTheBinnedGapBetweenTheTwoBlobs()
    {
        int checkedInPixels = 0;
        foreach (var s in Source(Distance.Id).Scenes("pool", 1000))
        {
            var (a, b) = (s.Objects[0], s.Objects[1]);
            double d = Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));
            Assert.That(Distance.Scenes.Bin(d), Is.EqualTo(s.Label));
            var blobs = Components(Foreground(s.Pixels));
            Assert.That(blobs, Has.Count.EqualTo(2), "the discs never touch");
            var (p, q) = (Centroid(blobs[0]), Centroid(blobs[1]));
            Assert.That(Math.Abs(Math.Sqrt((p.X - q.X) * (p.X - q.X) + (p.Y - q.Y) * (p.Y - q.Y)) - d), Is.LessThan(0.8));
            checkedInPixels++;
        }
        Assert.That(checkedInPixels, Is.EqualTo(1000));
    }

    [Test]
    public void ShapeLabelsAreTheDrawnKindAndClassesAreBalanced()
    {
        var scenes = Source(Shape.Id).Scenes("pool", 1000);
        foreach (var s in scenes)
        {
            Assert.That(s.Objects[0].Kind, Is.EqualTo(Shape.Scenes.Kinds[s.Label]));
            Assert.That(s.Objects.Skip(1).All(o => o.Size < 1), Is.True, "only specks besides the shape");
            Assert.That(s.Pixels.Max(), Is.GreaterThanOrEqualTo((byte)120), "the shape is visible");
        }
        Assert.That(scenes.GroupBy(s => s.Label).Select(g => g.Count()), Has.All.EqualTo(250));
    }
}
