using PeftBench.Core.Tasks;
using PeftBench.Tasks.Vision.Generated;

namespace PeftBench.Tasks.Vision.Tasks;

/// <summary>
/// Structured, generated (dSprites-location's spirit): in which cell of a 3 × 3 grid one object's centre lies
/// (label = 3 · row + column). Centres cover [4, 24) in each axis, kept 0.5 pixel inside their cell; the object is a
/// disc, square or triangle of size 2.5–4 (shape, size and grey level are nuisance).
/// </summary>
public static class Position
{
    public const string Id = "vision/position";

    public static TaskSpec Create() => VisionSuite.Task(Id, 1, "Generated scenes: grid cell (3×3) of one object's centre (accuracy).",
        VisionSuite.Structured, [.. Scenes.Instance.Labels], new GeneratedSource(Id, Scenes.Instance));

    public sealed class Scenes : ISceneGenerator
    {
        public static readonly Scenes Instance = new();
        public const double Low = 4, High = 24, Margin = 0.5;
        public const int Bins = 3;
        public static double BinWidth => (High - Low) / Bins;

        public IReadOnlyList<string> Labels => ["top-left", "top", "top-right", "left", "centre", "right", "bottom-left", "bottom", "bottom-right"];

        /// <summary>The grid cell of a centre coordinate (0–2).</summary>
        public static int Bin(double coordinate) => Math.Clamp((int)Math.Floor((coordinate - Low) / BinWidth), 0, Bins - 1);

        public GeneratedImage Generate(Random rng, int label)
        {
            var scene = new Scene(rng);
            int row = label / Bins, column = label % Bins;
            double x = scene.Uniform(Low + column * BinWidth + Margin, Low + (column + 1) * BinWidth - Margin);
            double y = scene.Uniform(Low + row * BinWidth + Margin, Low + (row + 1) * BinWidth - Margin);
            var kind = new[] { ShapeKind.Disc, ShapeKind.Square, ShapeKind.Triangle }[rng.Next(3)];
            scene.Add(kind, x, y, scene.Uniform(2.5, 4));
            return scene.Finish(label);
        }
    }
}
