using PeftBench.Core.Tasks;
using PeftBench.Tasks.Audio;

namespace PeftBench.Tasks.MathProblems.Tasks;

/// <summary>
/// One way a benchmark's files can lie in its folder: the file names (relative to the folder) and how they become the
/// train and test problems.
/// </summary>
public sealed record MathFileLayout(string Description, IReadOnlyList<string> Files,
    Func<IReadOnlyList<string>, (IReadOnlyList<GenerationExample> Train, IReadOnlyList<GenerationExample> Test)> Read)
{
    /// <summary>Separate train and test files in one format (the usual distribution).</summary>
    public static MathFileLayout TrainTest(string trainFile, string testFile, Func<string, IReadOnlyList<GenerationExample>> reader) =>
        new($"{trainFile} + {testFile}", [trainFile, testFile], paths => (reader(paths[0]), reader(paths[1])));
}

/// <summary>
/// A real math benchmark under <c>--data-dir</c> (never embedded, never faked): the first folder of
/// <paramref name="folders"/> that exists under the data folder, holding the files of the first of
/// <paramref name="layouts"/> that is complete. <see cref="Check"/> parses the files, so a missing file, a wrong format
/// or an empty split is reported (what, where, how to fix) before any training.
/// </summary>
public sealed class MathBenchmarkSource(string dataset, IReadOnlyList<string> folders, MathAnswerKind kind, params MathFileLayout[] layouts) : ITaskDataSource
{
    private string Expected => $"{folders[0]}/ holding {string.Join(", or ", layouts.Select(l => l.Description))}";

    private string? Folder(DataOptions options) => RealDataFolder.Find(options, [.. folders]);

    public string Describe(DataOptions options) =>
        Folder(options) is { } folder && Layout(folder) is { } layout
            ? $"{dataset}: {string.Join(", ", layout.Files.Select(f => Path.Combine(folder, f)))}"
            : $"{dataset}: {Folder(options) ?? "(needs --data-dir)"}";

    public IEnumerable<string> Check(DataOptions options)
    {
        var folder = Folder(options);
        var problems = RealDataFolder.CheckFolder(folder, dataset, Expected).ToList();
        if (problems.Count > 0) return problems;
        if (Layout(folder!) is not { } layout)
        {
            var found = Directory.GetFiles(folder!).Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(12).ToList();
            return [$"{dataset}: '{folder}' lacks its data files (found: {(found.Count == 0 ? "nothing" : string.Join(", ", found))}). --data-dir must hold {Expected}."];
        }
        try
        {
            var (train, test) = Read(folder!, layout);
            if (train.Count == 0) return [$"{dataset}: the training split in '{folder}' holds no problems; check that {layout.Description} are the full files."];
            if (test.Count == 0) return [$"{dataset}: the test split in '{folder}' holds no problems; check that {layout.Description} are the full files."];
            return [];
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
        {
            return [$"{dataset}: {e.Message}"];
        }
    }

    public TaskData Load(DataOptions options)
    {
        var problems = Check(options).ToList();
        if (problems.Count > 0) throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        var folder = Folder(options)!;
        var (train, test) = Read(folder, Layout(folder)!);
        return MathTask.Data(train.Select(e => MathPromptExample.From(e, kind)), test.Select(e => MathPromptExample.From(e, kind)));
    }

    private MathFileLayout? Layout(string folder) =>
        layouts.FirstOrDefault(l => l.Files.All(f => File.Exists(Path.Combine(folder, f))));

    private static (IReadOnlyList<GenerationExample> Train, IReadOnlyList<GenerationExample> Test) Read(string folder, MathFileLayout layout) =>
        layout.Read(layout.Files.Select(f => Path.Combine(folder, f)).ToList());
}
