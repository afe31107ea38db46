using PeftBench.Core.Tasks;
using PeftBench.Tasks.Readers;

namespace PeftBench.Tasks.Vision;

/// <summary>
/// A VTAB task from image folders in <c>--data-dir</c>: <c>vtab/&lt;name&gt;/train/&lt;class&gt;/*.png|jpg</c> and
/// <c>vtab/&lt;name&gt;/test/&lt;class&gt;/…</c>, the class folders named as <paramref name="classes"/> (their ordinal
/// order is the class index). The pool is drawn from train/, the score is on all of test/. No embedded default: this is
/// how real natural or specialized datasets (EuroSAT, RESISC45, …), which are not served here, enter the suite.
/// </summary>
public sealed class ImageFolderSource(string taskId, string name, IReadOnlyList<string> classes) : VisionDataSource(taskId)
{
    private string Folder(DataOptions options) => Path.Combine(Path.GetFullPath(options.DataDirectory!), "vtab", name);

    public override string Describe(DataOptions options) =>
        options.DataDirectory is null ? $"{TaskId}: no embedded data" : $"image folders: {Folder(options)}";

    public override IEnumerable<string> Check(DataOptions options)
    {
        var hint = $"Pass --data-dir DIR with DIR/vtab/{name}/train/<class>/*.png|jpg and DIR/vtab/{name}/test/<class>/…, one folder per class: {string.Join(", ", classes)}.";
        var root = options.DataDirectory is null ? "" : Folder(options);
        if (DataDirOnly(options, root, hint, "the dataset is not served here") is { } problem) { yield return problem; yield break; }
        foreach (var split in new[] { "train", "test" })
        {
            var dir = Path.Combine(root, split);
            if (!Directory.Exists(dir)) { yield return MissingFolder(dir, hint); continue; }
            var found = ImageFolder.Classes(dir);
            if (!found.SequenceEqual(classes.Order(StringComparer.Ordinal), StringComparer.Ordinal))
                yield return $"'{dir}' has class folders [{string.Join(", ", found)}]; {TaskId} expects [{string.Join(", ", classes.Order(StringComparer.Ordinal))}]. {hint}";
        }
    }

    protected override (IReadOnlyList<ImageExample> Pool, IReadOnlyList<ImageExample> Test) PoolAndTest(DataOptions options)
    {
        var root = Folder(options);
        var (trainClasses, train) = ImageFolder.Read(Path.Combine(root, "train"));
        var (_, test) = ImageFolder.Read(Path.Combine(root, "test"), trainClasses);
        return (DrawPool(train), test);
    }
}
