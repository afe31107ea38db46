using PeftBench.Core.Tasks;
using PeftBench.Tasks.Vision.Generated;

namespace PeftBench.Tasks.Vision.Tasks;

/// <summary>
/// Structured, generated (CLEVR-distance / KITTI-distance's spirit): how far apart two discs are, centre to centre,
/// in 4 bins of 4 pixels over [5, 21), kept 0.5 pixel inside their bin. Radii 1.5–2.2 (so the discs never touch), grey levels 150–255; the pair's
/// midpoint and direction are nuisance.
/// </summary>
public static class Distance
{
    public const string Id = "vision/distance";

    public static TaskSpec Create() => VisionSuite.Task(Id, 1, "Generated scenes: distance between two discs, 4 bins (accuracy).",
        VisionSuite.Structured, [.. Scenes.Instance.Labels], new GeneratedSource(Id, Scenes.Instance));

    public sealed class Scenes : ISceneGenerator
    {
        public static readonly Scenes Instance = new();
        public const double Low = 5, BinWidth = 4, Margin = 0.5;
        public const int Bins = 4;

        public IReadOnlyList<string> Labels => Enumerable.Range(0, Bins).Select(b => $"{Low + b * BinWidth:0}–{Low + (b + 1) * BinWidth:0} px").ToList();

        /// <summary>The bin of a centre-to-centre distance (clamped to the outer bins).</summary>
        public static int Bin(double distance) => Math.Clamp((int)Math.Floor((distance - Low) / BinWidth), 0, Bins - 1);

        public GeneratedImage Generate(Random rng, int label)
        {
            while (true)
            {
                var scene = new Scene(rng);
                double d = scene.Uniform(Low + label * BinWidth + Margin, Low + (label + 1) * BinWidth - Margin);
                double r1 = scene.Uniform(1.5, 2.2), r2 = scene.Uniform(1.5, 2.2), phi = scene.Uniform(0, 2 * Math.PI);
                double mx = scene.Uniform(4, Scene.Side - 4), my = scene.Uniform(4, Scene.Side - 4);
                double x1 = mx - d / 2 * Math.Cos(phi), y1 = my - d / 2 * Math.Sin(phi), x2 = mx + d / 2 * Math.Cos(phi), y2 = my + d / 2 * Math.Sin(phi);
                if (!Within(x1, y1, r1) || !Within(x2, y2, r2)) continue;
                scene.Add(ShapeKind.Disc, x1, y1, r1);
                scene.Add(ShapeKind.Disc, x2, y2, r2);
                return scene.Finish(label);
            }
        }

        private static bool Within(double x, double y, double r) => x - r >= 1 && y - r >= 1 && x + r <= Scene.Side - 1 && y + r <= Scene.Side - 1;
    }
}
