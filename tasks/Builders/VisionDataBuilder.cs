using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using PeftBench.Core.Tasks;
using PeftBench.Tasks.Readers;
using PeftBench.Tasks.Vision;
using PeftBench.Tasks.Vision.Tasks;

namespace PeftBench.Tasks.Builders;

/// <summary>
/// Builds the embedded vision data (tasks/data/vision) from the Debian packages fetched by
/// tasks/data/sources/fetch-media.sh: the VTAB-1k subsets of Fashion-MNIST and the UCI digits as gzipped IDX files,
/// and MANIFEST.json (source package, version and sha256, each file's sha256 and label counts, the source indices
/// taken, licences). Deterministic: the draws are <see cref="Vtab1k"/>'s, seeded by the task ids, so the shipped
/// pools are exactly what the same tasks draw from the full files under <c>--data-dir</c>.
/// </summary>
public static partial class VisionDataBuilder
{
    /// <summary>Fashion-MNIST test images shipped (stratified, in official order): enough for a ±1 % accuracy estimate.</summary>
    public const int FashionMnistTestCount = 2000;

    public const string FashionMnistPackage = "dataset-fashion-mnist";
    public const string SklearnPackage = "python3-sklearn";

    public static string FashionMnistSource(string sources) =>
        Path.Combine(sources, "deb_" + FashionMnistPackage, "usr", "share", "datasets", "fashion-mnist");

    public static string DigitsSource(string sources) =>
        Path.Combine(sources, "deb_" + SklearnPackage, "usr", "lib", "python3", "dist-packages", "sklearn", "datasets", "data", "digits.csv.gz");

    public static void Build(string sources, string outputDir, TextWriter log)
    {
        var fashion = FashionMnistSource(sources);
        var digits = DigitsSource(sources);
        foreach (var needed in new[] { Path.Combine(fashion, "train-images-idx3-ubyte.gz"), digits })
            if (!File.Exists(needed))
                throw new FileNotFoundException($"'{needed}' does not exist. Run tasks/data/sources/fetch-media.sh {sources} first.");
        var files = new List<object>();
        var datasets = new List<object>();

        // Fashion-MNIST: the pool from train[50000:60000] (tiny-vit pretrained on train[0:49000]), a stratified 2,000 of t10k.
        var trainImages = IdxFile.Read(Path.Combine(fashion, "train-images-idx3-ubyte.gz"));
        var trainLabels = IdxFile.Read(Path.Combine(fashion, "train-labels-idx1-ubyte.gz"));
        var testImages = IdxFile.Read(Path.Combine(fashion, "t10k-images-idx3-ubyte.gz"));
        var testLabels = IdxFile.Read(Path.Combine(fashion, "t10k-labels-idx1-ubyte.gz"));
        int from = DownstreamHoldout.FashionMnistReservedStart;
        var candidates = Enumerable.Range(from, trainLabels.Count - from).ToList();
        var pool = Vtab1k.Pool(FashionMnist.Id, candidates.Select(i => (int)trainLabels.Data[i]).ToList()).Select(p => candidates[p]).ToList();
        var test = Vtab1k.Stratified(testLabels.Data.Select(b => (int)b).ToList(), FashionMnistTestCount, Vtab1k.RandomFor(FashionMnist.Id, "test2000")).Order().ToList();
        files.AddRange(WritePair(outputDir, FashionMnist.Folder, "train", trainImages.Select(pool), trainLabels.Select(pool), log));
        files.AddRange(WritePair(outputDir, FashionMnist.Folder, "t10k", testImages.Select(test), testLabels.Select(test), log));
        datasets.Add(new
        {
            task = FashionMnist.Id, folder = FashionMnist.Folder,
            source = new { package = FashionMnistPackage, version = Version(sources, FashionMnistPackage), deb_sha256 = DebSha256(sources, FashionMnistPackage),
                files = new[] { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" }
                    .ToDictionary(f => f, f => Sha256(File.ReadAllBytes(Path.Combine(fashion, f)))) },
            licence = "MIT (Zalando SE; Xiao, Rasul & Vollgraf, 2017)",
            train = $"the VTAB-1k pool: {pool.Count} of train[{from}:{trainLabels.Count}], drawn by Vtab1k.Pool for {FashionMnist.Id}, in draw order",
            train_indices = pool,
            test = $"{test.Count} of t10k, stratified (Vtab1k.Stratified, stream {FashionMnist.Id}/test2000), in official order",
            test_indices = test,
        });

        // UCI digits: 1,000 of the 1,797 drawn as the pool, the other 797 as the test split.
        var all = Vision.DigitsSource.ReadCsv(digits);
        var (digitPool, rest) = Vision.DigitsSource.PoolAndRest(Digits.Id, all);
        files.AddRange(WritePair(outputDir, Vision.DigitsSource.FolderName, "train", Images(all, digitPool), Labels(all, digitPool), log));
        files.AddRange(WritePair(outputDir, Vision.DigitsSource.FolderName, "t10k", Images(all, rest), Labels(all, rest), log));
        datasets.Add(new
        {
            task = Digits.Id, folder = Vision.DigitsSource.FolderName,
            source = new { package = SklearnPackage, version = Version(sources, SklearnPackage), deb_sha256 = DebSha256(sources, SklearnPackage),
                files = new Dictionary<string, string> { ["sklearn/datasets/data/digits.csv.gz"] = Sha256(File.ReadAllBytes(digits)) } },
            licence = "BSD-3-Clause (scikit-learn's copy); data: UCI Machine Learning Repository, CC BY 4.0 (Alpaydin & Kaynak, 1998)",
            train = $"the VTAB-1k pool: {digitPool.Count} of the {all.Count} rows (0-based), drawn by Vtab1k.Pool for {Digits.Id}, in draw order; pixels round(v * 255 / 16)",
            train_indices = digitPool,
            test = $"the other {rest.Count} rows, in file order",
            test_indices = rest,
        });

        var manifest = new
        {
            description = "Embedded VTAB-1k-style vision data derived from Debian packages; see README.md and ATTRIBUTION.md.",
            builder = "PeftBench.Tasks.Builders.VisionDataBuilder.Build (tasks/Builders)",
            rebuild = "make vision-data",
            vtab_seed = Vtab1k.Seed,
            datasets,
            files,
        };
        var json = JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        // Index lists on one line each: thousands of numbers one per line would bury the rest.
        json = IntegerArray().Replace(json, m => "[" + Regex.Replace(m.Groups[1].Value, @"\s+", " ").Trim() + "]") + "\n";
        GlueFile.WriteAtomic(Path.Combine(outputDir, "MANIFEST.json"), json);
        log.WriteLine($"wrote {files.Count} files and MANIFEST.json to {outputDir}");
    }

    [GeneratedRegex(@"\[(\s*-?\d+(?:,\s*-?\d+)*\s*)\]")]
    private static partial Regex IntegerArray();

    private static IdxArray Images(IReadOnlyList<ImageExample> all, IReadOnlyList<int> rows) =>
        new([rows.Count, Vision.DigitsSource.Side, Vision.DigitsSource.Side], rows.SelectMany(i => all[i].Pixels).ToArray());

    private static IdxArray Labels(IReadOnlyList<ImageExample> all, IReadOnlyList<int> rows) =>
        new([rows.Count], rows.Select(i => (byte)all[i].Label).ToArray());

    private static IEnumerable<object> WritePair(string outputDir, string folder, string prefix, IdxArray images, IdxArray labels, TextWriter log)
    {
        foreach (var (name, array) in new[] { ($"{prefix}-images-idx3-ubyte.gz", images), ($"{prefix}-labels-idx1-ubyte.gz", labels) })
        {
            var path = Path.Combine(outputDir, folder, name);
            IdxFile.Write(path, array);
            log.WriteLine($"  {folder}/{name}: [{string.Join(", ", array.Shape)}]");
            yield return new
            {
                path = $"{folder}/{name}", sha256 = Sha256(File.ReadAllBytes(path)), shape = array.Shape,
                labels = array.Shape.Length == 1 ? array.Data.GroupBy(b => b).OrderBy(g => g.Key).ToDictionary(g => g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), g => g.Count()) : null,
            };
        }
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    /// <summary>"name=version sha256=…" as fetch-media.sh records it in the package folder's .done file.</summary>
    private static string[] Done(string sources, string package)
    {
        var done = Path.Combine(sources, "deb_" + package, ".done");
        var line = File.Exists(done) ? File.ReadLines(done).FirstOrDefault(l => l.StartsWith(package + "=", StringComparison.Ordinal)) : null;
        return line?.Split(' ') ?? throw new InvalidDataException($"'{done}' does not record {package}: run tasks/data/sources/fetch-media.sh {sources}.");
    }

    private static string Version(string sources, string package) => Done(sources, package)[0][(package.Length + 1)..];
    private static string DebSha256(string sources, string package) => Done(sources, package)[1].Replace("sha256=", "", StringComparison.Ordinal);
}
