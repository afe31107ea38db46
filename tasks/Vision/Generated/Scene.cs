namespace PeftBench.Tasks.Vision.Generated;

/// <summary>Kinds of object the structured generators draw.</summary>
public enum ShapeKind { Disc, Square, Triangle, Cross, Bar }

/// <summary>
/// One drawn object: centre (<see cref="X"/>, <see cref="Y"/>) in pixels (x right, y down, pixel centres at +0.5),
/// <see cref="Size"/> = radius or half-side, <see cref="Angle"/> in degrees (bars: half-length = Size, half-width =
/// <see cref="Width"/>), grey level <see cref="Intensity"/>.
/// </summary>
public sealed record SceneObject(ShapeKind Kind, double X, double Y, double Size, double Angle, double Width, int Intensity);

/// <summary>A rendered image with the objects it was drawn from, so that tests can re-derive its label.</summary>
public sealed record GeneratedImage(byte[] Pixels, int Label, IReadOnlyList<SceneObject> Objects);

/// <summary>
/// A small deterministic rasteriser for 28 × 28 grey scenes: each pixel's coverage by an object is measured on a 4 × 4
/// grid of sub-samples (anti-aliased edges), objects are composited by maximum over a flat background, and Gaussian
/// noise is added. Every number comes from the caller's <see cref="Random"/>, so a stream seeded from the task id
/// gives the same images on every machine.
/// </summary>
public sealed class Scene(Random rng)
{
    public const int Side = 28;
    private const int Sub = 4;

    public Random Rng { get; } = rng;
    private readonly List<SceneObject> objects = [];

    public IReadOnlyList<SceneObject> Objects => objects;

    public double Uniform(double low, double high) => low + (high - low) * Rng.NextDouble();

    public SceneObject Add(ShapeKind kind, double x, double y, double size, double angle = 0, double width = 0, int? intensity = null)
    {
        var o = new SceneObject(kind, x, y, size, angle, width, intensity ?? Rng.Next(150, 256));
        objects.Add(o);
        return o;
    }

    /// <summary>True when the point lies inside the object.</summary>
    public static bool Inside(SceneObject o, double px, double py)
    {
        double dx = px - o.X, dy = py - o.Y, s = o.Size;
        switch (o.Kind)
        {
            case ShapeKind.Disc: return dx * dx + dy * dy <= s * s;
            case ShapeKind.Square: return Math.Abs(dx) <= s && Math.Abs(dy) <= s;
            case ShapeKind.Cross:
                double arm = s * 0.38;
                return (Math.Abs(dx) <= s && Math.Abs(dy) <= arm) || (Math.Abs(dy) <= s && Math.Abs(dx) <= arm);
            case ShapeKind.Triangle:
                // Apex up at (0, −s), base from (−s, s) to (s, s): |dx| ≤ (dy + s) / 2 within the vertical extent.
                return dy <= s && dy >= -s && Math.Abs(dx) <= (dy + s) / 2;
            case ShapeKind.Bar:
                double a = o.Angle * Math.PI / 180, along = dx * Math.Cos(a) - dy * Math.Sin(a), across = dx * Math.Sin(a) + dy * Math.Cos(a);
                return Math.Abs(along) <= s && Math.Abs(across) <= o.Width;
            default: throw new ArgumentOutOfRangeException(nameof(o), o.Kind, "unknown shape");
        }
    }

    /// <summary>Renders the objects over a background of grey level <paramref name="background"/> with noise of std <paramref name="noise"/>.</summary>
    public byte[] Render(int background, double noise)
    {
        var pixels = new byte[Side * Side];
        for (int r = 0; r < Side; r++)
            for (int c = 0; c < Side; c++)
            {
                double value = background;
                foreach (var o in objects)
                {
                    int hits = 0;
                    for (int i = 0; i < Sub; i++)
                        for (int j = 0; j < Sub; j++)
                            if (Inside(o, c + (j + 0.5) / Sub, r + (i + 0.5) / Sub)) hits++;
                    if (hits > 0) value = Math.Max(value, background + (o.Intensity - background) * hits / (double)(Sub * Sub));
                }
                value += noise * Gaussian();
                pixels[r * Side + c] = (byte)Math.Clamp(Math.Round(value), 0, 255);
            }
        return pixels;
    }

    /// <summary>Box–Muller standard normal from the scene's stream.</summary>
    private double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - Rng.NextDouble())) * Math.Cos(2 * Math.PI * Rng.NextDouble());

    /// <summary>The usual nuisance: a dark background of random level and mild noise (objects stay above 150).</summary>
    public GeneratedImage Finish(int label) => new(Render(Rng.Next(0, 41), Uniform(3, 8)), label, objects.ToList());
}

/// <summary>A structured task's generator: one image of the given class from the given stream.</summary>
public interface ISceneGenerator
{
    IReadOnlyList<string> Labels { get; }
    GeneratedImage Generate(Random rng, int label);
}
