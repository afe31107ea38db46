using PeftBench.Core.Tasks;
using PeftBench.Tasks.Vision.Generated;

namespace PeftBench.Tasks.Vision.Tasks;

/// <summary>
/// Structured, generated (CLEVR-count's spirit): how many discs (1–6) a scene holds. Radii 1.6–2.8, grey levels
/// 150–255, at least 3 pixels apart edge to edge, so they never touch and the count is exact.
/// </summary>
public static class Count
{
    public const string Id = "vision/count";

    public static TaskSpec Create() => VisionSuite.Task(Id, 1, "Generated scenes: count the discs, 1–6 (accuracy).",
        VisionSuite.Structured, [.. Scenes.Instance.Labels], new GeneratedSource(Id, Scenes.Instance));

    public sealed class Scenes : ISceneGenerator
    {
        public static readonly Scenes Instance = new();
        public const double Gap = 3;

        public IReadOnlyList<string> Labels => ["1", "2", "3", "4", "5", "6"];

        public GeneratedImage Generate(Random rng, int label)
        {
            while (true)
            {
                var scene = new Scene(rng);
                for (int attempts = 0; scene.Objects.Count < label + 1 && attempts < 200; attempts++)
                {
                    double r = scene.Uniform(1.6, 2.8), x = scene.Uniform(r + 1, Scene.Side - r - 1), y = scene.Uniform(r + 1, Scene.Side - r - 1);
                    if (scene.Objects.All(o => Math.Sqrt((o.X - x) * (o.X - x) + (o.Y - y) * (o.Y - y)) >= o.Size + r + Gap))
                        scene.Add(ShapeKind.Disc, x, y, r);
                }
                if (scene.Objects.Count == label + 1) return scene.Finish(label);
            }
        }
    }
}
