using PeftBench.Core.Tasks;
using PeftBench.Tasks.Vision.Generated;

namespace PeftBench.Tasks.Vision.Tasks;

/// <summary>
/// Structured, generated: which shape (disc, square, triangle, cross) one object is, whatever its size (radius 4.5–9),
/// position, grey level and the background, with up to three small distractor specks.
/// </summary>
public static class Shape
{
    public const string Id = "vision/shape";

    public static TaskSpec Create() => VisionSuite.Task(Id, 1, "Generated shapes: disc, square, triangle or cross (accuracy).",
        VisionSuite.Structured, [.. Scenes.Instance.Labels], new GeneratedSource(Id, Scenes.Instance));

    public sealed class Scenes : ISceneGenerator
    {
        public static readonly Scenes Instance = new();
        public static readonly ShapeKind[] Kinds = [ShapeKind.Disc, ShapeKind.Square, ShapeKind.Triangle, ShapeKind.Cross];

        public IReadOnlyList<string> Labels => ["disc", "square", "triangle", "cross"];

        public GeneratedImage Generate(Random rng, int label)
        {
            var scene = new Scene(rng);
            double size = scene.Uniform(4.5, 9);
            scene.Add(Kinds[label], scene.Uniform(size + 1, Scene.Side - size - 1), scene.Uniform(size + 1, Scene.Side - size - 1), size);
            int specks = rng.Next(0, 4);
            for (int i = 0; i < specks; i++)
                scene.Add(ShapeKind.Disc, scene.Uniform(1, Scene.Side - 1), scene.Uniform(1, Scene.Side - 1), 0.9, intensity: rng.Next(90, 200));
            return scene.Finish(label);
        }
    }
}
