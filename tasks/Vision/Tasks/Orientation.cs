using PeftBench.Core.Tasks;
using PeftBench.Tasks.Vision.Generated;

namespace PeftBench.Tasks.Vision.Tasks;

/// <summary>
/// Structured, generated (dSprites-orientation's spirit): the angle of one bar, in 8 bins of 22.5° over [0°, 180°)
/// (a bar at θ and θ + 180° is the same picture). Angles are kept 2° inside their bin; half-length 7–11, half-width
/// 1–1.6, centre within 2 pixels of the middle, grey level 150–255.
/// </summary>
public static class Orientation
{
    public const string Id = "vision/orientation";

    public static TaskSpec Create() => VisionSuite.Task(Id, 1, "Generated scenes: orientation of a bar, 8 bins of 22.5° (accuracy).",
        VisionSuite.Structured, [.. Scenes.Instance.Labels], new GeneratedSource(Id, Scenes.Instance));

    public sealed class Scenes : ISceneGenerator
    {
        public static readonly Scenes Instance = new();
        public const int Bins = 8;
        public const double BinDegrees = 180.0 / Bins, Margin = 2;

        public IReadOnlyList<string> Labels => Enumerable.Range(0, Bins).Select(b => $"{b * BinDegrees:0.#}–{(b + 1) * BinDegrees:0.#}°").ToList();

        /// <summary>The bin of an angle in degrees (any value; taken modulo 180°).</summary>
        public static int Bin(double degrees) => (int)Math.Floor((((degrees % 180) + 180) % 180) / BinDegrees) % Bins;

        public GeneratedImage Generate(Random rng, int label)
        {
            var scene = new Scene(rng);
            double angle = scene.Uniform(label * BinDegrees + Margin, (label + 1) * BinDegrees - Margin);
            double centre = Scene.Side / 2.0;
            scene.Add(ShapeKind.Bar, centre + scene.Uniform(-2, 2), centre + scene.Uniform(-2, 2), scene.Uniform(7, 11), angle, scene.Uniform(1, 1.6));
            return scene.Finish(label);
        }
    }
}
