using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Audio;

/// <summary>
/// ESC-50 (Piczak, 2015) as released (github.com/karolpiczak/ESC-50): <c>DATA/ESC-50/audio/*.wav</c> (5 s, 44.1 kHz
/// mono) and <c>DATA/ESC-50/meta/esc50.csv</c> with header <c>filename,fold,target,category,esc10,src_file,take</c>
/// (the unpacked <c>ESC-50-master</c> folder is accepted under that name too). One cross-validation fold: test =
/// the clips of fold <see cref="TestFold"/>, train = the other four folds, as the dataset prescribes (clips of one
/// source recording share a fold). No validation split: the dataset defines none, and the standard protocol
/// reports the 5-fold mean of test accuracy.
/// </summary>
public sealed class Esc50DataSource(int testFold) : ITaskDataSource
{
    public const int Folds = 5, Classes = 50;
    public const string Layout = "ESC-50/ (or ESC-50-master/) with audio/*.wav and meta/esc50.csv, as unpacked from github.com/karolpiczak/ESC-50";
    private static readonly string[] RequiredColumns = ["filename", "fold", "target", "category"];

    public int TestFold { get; } = testFold >= 1 && testFold <= Folds ? testFold : throw new ArgumentOutOfRangeException(nameof(testFold), $"ESC-50 folds are 1-{Folds}.");

    private static string? Folder(DataOptions options) => RealDataFolder.Find(options, "ESC-50", "ESC-50-master");

    public string Describe(DataOptions options) => $"ESC-50: {Folder(options) ?? "(needs --data-dir)"}, test fold {TestFold}";

    public IEnumerable<string> Check(DataOptions options)
    {
        var folder = Folder(options);
        var problems = RealDataFolder.CheckFolder(folder, "ESC-50", Layout).ToList();
        if (problems.Count > 0) return problems;
        var csv = Path.Combine(folder!, "meta", "esc50.csv");
        if (!File.Exists(csv)) return [$"'{csv}' does not exist. --data-dir must hold {Layout}."];
        try
        {
            var rows = Rows(csv).ToList();
            var missing = rows.Where(r => !File.Exists(Path.Combine(folder!, "audio", r.File))).Select(r => r.File).ToList();
            if (missing.Count > 0)
                return [$"{missing.Count} clips listed in '{csv}' are missing from '{Path.Combine(folder!, "audio")}' (first: {string.Join(", ", missing.Take(3))}). Unpack the full ESC-50 release there."];
            return rows.Any(r => r.Fold == TestFold) ? [] : [$"'{csv}' lists no clip of fold {TestFold}."];
        }
        catch (InvalidDataException e) { return [e.Message]; }
    }

    public TaskData Load(DataOptions options)
    {
        var problems = Check(options).ToList();
        if (problems.Count > 0) throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        var folder = Folder(options)!;
        var rows = Rows(Path.Combine(folder, "meta", "esc50.csv")).ToList();
        List<Example> Split(bool test) => rows.Where(r => (r.Fold == TestFold) == test)
            .Select(r => (Example)WavFolderReader.Load(Path.Combine(folder, "audio", r.File), r.Target)).ToList();
        return new TaskData(Split(false), new Dictionary<string, IReadOnlyList<Example>>(StringComparer.Ordinal) { ["test"] = Split(true) });
    }

    /// <summary>The rows of <c>esc50.csv</c> (no field of the release holds a comma), checked: fold 1-5, target 0-49.</summary>
    public static IEnumerable<(string File, int Fold, int Target, string Category)> Rows(string csv)
    {
        var lines = File.ReadAllLines(csv).Where(l => l.Length > 0).ToList();
        var header = lines.Count > 0 ? lines[0].Trim().Split(',') : [];
        var columns = RequiredColumns.Select(c => Array.IndexOf(header, c)).ToArray();
        if (columns.Any(i => i < 0))
            throw new InvalidDataException($"'{csv}': header '{(lines.Count > 0 ? lines[0] : "")}' lacks {string.Join(", ", RequiredColumns.Where((_, i) => columns[i] < 0))}; expected ESC-50's 'filename,fold,target,category,esc10,src_file,take'.");
        for (int n = 1; n < lines.Count; n++)
        {
            var f = lines[n].Trim().Split(',');
            if (f.Length < header.Length || !int.TryParse(f[columns[1]], out var fold) || fold is < 1 or > Folds
                || !int.TryParse(f[columns[2]], out var target) || target is < 0 or >= Classes)
                throw new InvalidDataException($"'{csv}' line {n + 1}: '{lines[n]}' needs {header.Length} fields with fold 1-{Folds} and target 0-{Classes - 1}.");
            yield return (f[columns[0]], fold, target, f[columns[3]]);
        }
    }
}
