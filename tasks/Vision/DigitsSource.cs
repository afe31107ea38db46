using System.Globalization;
using System.IO.Compression;
using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Vision;

/// <summary>
/// The UCI optical-recognition handwritten digits (Alpaydin &amp; Kaynak, 1998) as scikit-learn ships them
/// (<c>sklearn/datasets/data/digits.csv.gz</c>): 1,797 rows of 64 counts 0–16 (an 8 × 8 image, row-major) and the
/// digit. Counts become grey levels round(v · 255 / 16). There is no official train/test split of these 1,797, so
/// the VTAB-1k pool is 1,000 drawn from all of them and the test split is the other 797. Embedded: the same two sets
/// as IDX files (data/vision/digits); real: <c>--data-dir</c>/digits/digits.csv[.gz].
/// </summary>
public sealed class DigitsSource(string taskId) : VisionDataSource(taskId)
{
    public const string FolderName = "digits";
    public const string CsvName = "digits.csv";
    public const int Side = 8;

    public override string Describe(DataOptions options) => options.DataDirectory is null
        ? $"embedded: vision/{FolderName} (MANIFEST.json sha256 {EmbeddedChecksum()})"
        : $"sklearn digits CSV: {Path.Combine(Path.GetFullPath(options.DataDirectory), FolderName, CsvName)}[.gz]";

    public override IEnumerable<string> Check(DataOptions options)
    {
        if (options.DataDirectory is null)
        {
            var dir = Path.Combine(EmbeddedRoot, FolderName);
            foreach (var name in IdxImageSource.Files)
                if (PlainOrGzip(dir, name) is null)
                    yield return $"'{Path.Combine(dir, name)}.gz' does not exist. The embedded data ships with the program; rebuild so that data/vision is copied next to the binaries.";
            yield break;
        }
        var folder = Path.Combine(Path.GetFullPath(options.DataDirectory), FolderName);
        var hint = $"--data-dir must hold {FolderName}/{CsvName} or {CsvName}.gz, scikit-learn's file (sklearn/datasets/data/digits.csv.gz).";
        if (!Directory.Exists(folder)) yield return MissingFolder(folder, hint);
        else if (PlainOrGzip(folder, CsvName) is null) yield return $"'{Path.Combine(folder, CsvName)}' (or .gz) does not exist. {hint}";
    }

    protected override (IReadOnlyList<ImageExample> Pool, IReadOnlyList<ImageExample> Test) PoolAndTest(DataOptions options)
    {
        if (options.DataDirectory is null)
        {
            var dir = Path.Combine(EmbeddedRoot, FolderName);
            return (IdxImageSource.Read(dir, "train"), IdxImageSource.Read(dir, "t10k"));
        }
        var all = ReadCsv(PlainOrGzip(Path.Combine(Path.GetFullPath(options.DataDirectory), FolderName), CsvName)!);
        var (pool, test) = PoolAndRest(TaskId, all);
        return (pool.Select(i => all[i]).ToList(), test.Select(i => all[i]).ToList());
    }

    /// <summary>Positions of the 1,000-image pool (drawn order) and of the remaining images (file order).</summary>
    public static (IReadOnlyList<int> Pool, IReadOnlyList<int> Remaining) PoolAndRest(string taskId, IReadOnlyList<ImageExample> all)
    {
        var pool = Vtab1k.Pool(taskId, all.Select(e => (int)e.Label).ToList());
        var taken = pool.ToHashSet();
        return (pool, Enumerable.Range(0, all.Count).Where(i => !taken.Contains(i)).ToList());
    }

    /// <summary>scikit-learn's digits file: one row of 64 counts 0–16 and the label 0–9 per image.</summary>
    public static IReadOnlyList<ImageExample> ReadCsv(string path)
    {
        using var file = File.OpenRead(path);
        using var stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        using var reader = new StreamReader(stream);
        var images = new List<ImageExample>();
        int line = 0;
        for (var text = reader.ReadLine(); text is not null; text = reader.ReadLine())
        {
            line++;
            if (text.Length == 0) continue;
            var fields = text.Split(',');
            if (fields.Length != Side * Side + 1)
                throw new InvalidDataException($"{path}:{line}: {fields.Length} fields; a digits row holds 64 pixel counts and a label (scikit-learn's digits.csv).");
            var values = new int[fields.Length];
            for (int i = 0; i < fields.Length; i++)
            {
                var ok = double.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v);
                if (!ok || v != Math.Floor(v) || v < 0 || v > (i < Side * Side ? 16 : 9))
                    throw new InvalidDataException($"{path}:{line}: field {i + 1} is '{fields[i]}'; pixel counts are integers 0–16 and the label 0–9.");
                values[i] = (int)v;
            }
            var pixels = values.Take(Side * Side).Select(v => (byte)((v * 255 + 8) / 16)).ToArray();
            images.Add(new ImageExample(pixels, 1, Side, Side, values[^1]));
        }
        if (images.Count == 0) throw new InvalidDataException($"{path}: no rows.");
        return images;
    }
}
