using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Vision;

/// <summary>
/// A VTAB-1k task's data: a source yields its 1,000-image training pool and its test split, and
/// <see cref="Vtab1k.Data"/> splits the pool 800/200 the same way for every source. <see cref="Check"/> runs before
/// any training and names what is missing, where, and the layout expected (README, "Vision data").
/// </summary>
public abstract class VisionDataSource(string taskId) : ITaskDataSource
{
    public string TaskId { get; } = taskId;

    /// <summary>Embedded data next to the binaries (tasks/data/vision copied by the build).</summary>
    public static string EmbeddedRoot => Path.Combine(AppContext.BaseDirectory, "data", "vision");

    public abstract string Describe(DataOptions options);
    public abstract IEnumerable<string> Check(DataOptions options);

    /// <summary>The 1,000 training images (already drawn, <see cref="Vtab1k.Pool"/>) and the test split.</summary>
    protected abstract (IReadOnlyList<ImageExample> Pool, IReadOnlyList<ImageExample> Test) PoolAndTest(DataOptions options);

    public TaskData Load(DataOptions options)
    {
        var problems = Check(options).ToList();
        if (problems.Count > 0) throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        var (pool, test) = PoolAndTest(options);
        return Vtab1k.Data(TaskId, pool, test);
    }

    /// <summary>The draw of <see cref="Vtab1k.Pool"/> applied to a full training split.</summary>
    protected IReadOnlyList<ImageExample> DrawPool(IReadOnlyList<ImageExample> train) =>
        Vtab1k.Pool(TaskId, train.Select(e => (int)e.Label).ToList()).Select(i => train[i]).ToList();

    /// <summary>Part of every cell key: the embedded manifest's checksum, so the same data gives the same key in any clone.</summary>
    protected static string EmbeddedChecksum()
    {
        var manifest = Path.Combine(EmbeddedRoot, "MANIFEST.json");
        return File.Exists(manifest)
            ? Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(manifest)), 0, 8).ToLowerInvariant()
            : "missing";
    }

    /// <summary>A missing folder, with what the parent holds (the usual slip is a folder one level off).</summary>
    protected static string MissingFolder(string folder, string hint)
    {
        var parent = Path.GetDirectoryName(folder)!;
        var found = Directory.Exists(parent) ? Directory.GetDirectories(parent).Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(12).ToList() : [];
        var seen = found.Count > 0 ? $" Folders found in '{parent}': {string.Join(", ", found)}." : "";
        return $"data folder '{folder}' does not exist.{seen} {hint}";
    }

    /// <summary>
    /// The problems of a source that only reads real data: none embedded, or <paramref name="root"/> missing (with what its
    /// parent holds); null when <paramref name="root"/> exists and the caller checks inside it.
    /// </summary>
    protected string? DataDirOnly(DataOptions options, string root, string hint, string why) =>
        options.DataDirectory is null ? $"{TaskId} has no embedded data ({why}). {hint}"
        : Directory.Exists(root) ? null
        : MissingFolder(root, hint);

    /// <summary>The path of <paramref name="name"/> or <paramref name="name"/>.gz in a folder, whichever exists (null when neither).</summary>
    protected static string? PlainOrGzip(string folder, string name) =>
        new[] { name, name + ".gz" }.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists);
}
