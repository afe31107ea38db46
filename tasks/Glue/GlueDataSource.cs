using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Glue;

/// <summary>
/// A GLUE task's data: the official folder under <c>--data-dir</c>, or the embedded folder shipped with the
/// program (<c>data/glue/&lt;TASK&gt;</c> next to the binaries). Both go through the same reader, so the embedded
/// data is a standing test that the reader accepts the official layout.
/// </summary>
public sealed class GlueDataSource(GlueFormat format) : ITaskDataSource
{
    public GlueFormat Format { get; } = format;

    public string Folder(DataOptions options) => options.DataDirectory is null
        ? Path.Combine(AppContext.BaseDirectory, "data", "glue", Format.Folder)
        : Path.Combine(Path.GetFullPath(options.DataDirectory), Format.Folder);

    /// <summary>
    /// Part of every cell key. The embedded data is named by its manifest's checksum, not by where the binaries
    /// live, so the same data gives the same key in any clone (committed baselines match by key).
    /// </summary>
    public string Describe(DataOptions options) => options.DataDirectory is null
        ? $"embedded: {Format.Folder} (MANIFEST.json sha256 {EmbeddedManifestChecksum()})"
        : "GLUE TSV: " + Folder(options);

    private static string EmbeddedManifestChecksum()
    {
        var manifest = Path.Combine(AppContext.BaseDirectory, "data", "glue", "MANIFEST.json");
        return File.Exists(manifest)
            ? Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(manifest)), 0, 8).ToLowerInvariant()
            : "missing";
    }

    public IEnumerable<string> Check(DataOptions options)
    {
        var folder = Folder(options);
        var hint = options.DataDirectory is null
            ? "The embedded data ships with the program; rebuild so that data/glue is copied next to the binaries."
            : $"--data-dir must be the folder holding the official GLUE task folders ({Format.Folder}, SST-2, …), as unpacked from the GLUE download.";
        if (!Directory.Exists(folder))
        {
            // Listing what is there catches the usual slip: a folder one level too high or low, or renamed task folders.
            var parent = Path.GetDirectoryName(folder)!;
            var found = Directory.Exists(parent) ? Directory.GetDirectories(parent).Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(12).ToList() : [];
            var seen = found.Count > 0 ? $" Folders found in '{parent}': {string.Join(", ", found)}." : "";
            yield return $"data folder '{folder}' does not exist.{seen} {hint}";
            yield break;
        }
        foreach (var (split, file) in Format.Files)
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path)) { yield return $"'{path}' (split '{split}') does not exist. {hint}"; continue; }
            var header = GlueTsvReader.CheckHeader(path, Format);
            if (header is not null) yield return header;
        }
    }

    public TaskData Load(DataOptions options)
    {
        var problems = Check(options).ToList();
        if (problems.Count > 0) throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        var folder = Folder(options);
        var evaluation = new Dictionary<string, IReadOnlyList<Example>>(StringComparer.Ordinal);
        IReadOnlyList<Example> train = Array.Empty<TextExample>();
        foreach (var (split, file) in Format.Files)
        {
            var rows = GlueTsvReader.Read(Path.Combine(folder, file), Format);
            if (split == GlueFormat.TrainSplit) train = rows; else evaluation[split] = rows;
        }
        return new TaskData(train, evaluation);
    }
}
