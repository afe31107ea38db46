using PeftBench.Core.Tasks;
using PeftBench.Tasks.Readers;

namespace PeftBench.Tasks.Vision;

/// <summary>
/// An MNIST-format dataset (IDX images + labels, plain or gzipped): the official four files
/// (<c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c>,
/// <c>t10k-labels-idx1-ubyte</c>) in <c>--data-dir</c>/<paramref name="folder"/>, or the embedded VTAB-1k subset in
/// the same format (data/vision/<paramref name="folder"/>), whose training files hold exactly the 1,000-image pool.
/// From the full files the pool is drawn from training images [<paramref name="trainFrom"/>, end): images a shipped
/// backbone pretrained on are never downstream data (<see cref="DownstreamHoldout"/>).
/// </summary>
public sealed class IdxImageSource(string taskId, string folder, int trainFrom) : VisionDataSource(taskId)
{
    public static readonly IReadOnlyList<string> Files =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    public string Folder(DataOptions options) => options.DataDirectory is null
        ? Path.Combine(EmbeddedRoot, folder)
        : Path.Combine(Path.GetFullPath(options.DataDirectory), folder);

    public override string Describe(DataOptions options) => options.DataDirectory is null
        ? $"embedded: vision/{folder} VTAB-1k subset (MANIFEST.json sha256 {EmbeddedChecksum()})"
        : $"IDX files: {Folder(options)} (training pool drawn from train[{trainFrom}:])";

    public override IEnumerable<string> Check(DataOptions options)
    {
        var dir = Folder(options);
        var hint = options.DataDirectory is null
            ? "The embedded data ships with the program; rebuild so that data/vision is copied next to the binaries."
            : $"--data-dir must hold {folder}/ with the four official IDX files ({string.Join(", ", Files)}; gzipped or not).";
        if (!Directory.Exists(dir)) { yield return MissingFolder(dir, hint); yield break; }
        foreach (var name in Files)
            if (PlainOrGzip(dir, name) is null) yield return $"'{Path.Combine(dir, name)}' (or .gz) does not exist. {hint}";
    }

    protected override (IReadOnlyList<ImageExample> Pool, IReadOnlyList<ImageExample> Test) PoolAndTest(DataOptions options)
    {
        var dir = Folder(options);
        var train = Read(dir, "train");
        var test = Read(dir, "t10k");
        if (options.DataDirectory is null) return (train, test);
        if (train.Count <= trainFrom)
            throw new InvalidDataException($"{TaskId}: '{dir}' holds {train.Count} training images; the pool is drawn from train[{trainFrom}:], so it needs more (the official files hold 60,000).");
        return (DrawPool(train.Skip(trainFrom).ToList()), test);
    }

    /// <summary>The images and labels of one IDX pair as <see cref="ImageExample"/>s (one grey channel).</summary>
    public static IReadOnlyList<ImageExample> Read(string dir, string prefix)
    {
        var imagesPath = PlainOrGzip(dir, $"{prefix}-images-idx3-ubyte")!;
        var labelsPath = PlainOrGzip(dir, $"{prefix}-labels-idx1-ubyte")!;
        var images = IdxFile.Read(imagesPath);
        var labels = IdxFile.Read(labelsPath);
        if (images.Shape.Length != 3)
            throw new InvalidDataException($"{imagesPath}: images are [N, height, width], not [{string.Join(", ", images.Shape)}].");
        if (labels.Shape.Length != 1 || labels.Count != images.Count)
            throw new InvalidDataException($"{labelsPath}: labels are [N] with N = {images.Count} (the images' count), not [{string.Join(", ", labels.Shape)}]: the files do not belong together.");
        int h = images.Shape[1], w = images.Shape[2];
        return Enumerable.Range(0, images.Count)
            .Select(i => new ImageExample(images.Item(i).ToArray(), 1, h, w, labels.Data[i]).Validated()).ToList();
    }
}
