using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Audio;

/// <summary>
/// Speech Commands v2 (Warden, 2018) as released (<c>speech_commands_v0.02.tar.gz</c>, unpacked into
/// <c>DATA/speech_commands_v0.02/</c>): a folder per word of 1 s, 16 kHz WAVs, plus <c>validation_list.txt</c> and
/// <c>testing_list.txt</c> naming the validation and test clips (<c>word/file.wav</c>, split by speaker hash). The
/// fixed split: test = testing_list, val = validation_list, train = every other clip of the task's words;
/// <c>_background_noise_</c> and words outside <see cref="Words"/> are left out. Label = index in <see cref="Words"/>.
/// </summary>
public sealed class SpeechCommandsDataSource(IReadOnlyList<string> words) : ITaskDataSource
{
    public const string FolderName = "speech_commands_v0.02", ValidationList = "validation_list.txt", TestingList = "testing_list.txt";
    public const string Layout = FolderName + "/ with a folder per word, validation_list.txt and testing_list.txt, as unpacked from speech_commands_v0.02.tar.gz";

    public IReadOnlyList<string> Words { get; } = words;

    private static string? Folder(DataOptions options) => RealDataFolder.Find(options, FolderName);

    public string Describe(DataOptions options) => $"Speech Commands v2: {Folder(options) ?? "(needs --data-dir)"}, {Words.Count} words";

    public IEnumerable<string> Check(DataOptions options)
    {
        var folder = Folder(options);
        var problems = RealDataFolder.CheckFolder(folder, "Speech Commands", Layout).ToList();
        if (problems.Count > 0) return problems;
        foreach (var list in new[] { ValidationList, TestingList })
            if (!File.Exists(Path.Combine(folder!, list))) problems.Add($"'{Path.Combine(folder!, list)}' does not exist. --data-dir must hold {Layout}.");
        var missing = Words.Where(w => !Directory.Exists(Path.Combine(folder!, w))).ToList();
        if (missing.Count > 0) problems.Add($"'{folder}' has no folder for {string.Join(", ", missing)}. --data-dir must hold {Layout}.");
        return problems;
    }

    public TaskData Load(DataOptions options)
    {
        var problems = Check(options).ToList();
        if (problems.Count > 0) throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        var folder = Folder(options)!;
        HashSet<string> List(string name) => File.ReadAllLines(Path.Combine(folder, name)).Select(l => l.Trim().Replace('\\', '/'))
            .Where(l => l.Length > 0).ToHashSet(StringComparer.Ordinal);
        var validation = List(ValidationList);
        var testing = List(TestingList);
        var splits = new Dictionary<string, List<Example>>(StringComparer.Ordinal) { ["train"] = [], ["val"] = [], ["test"] = [] };
        for (int label = 0; label < Words.Count; label++)
            foreach (var file in WavFolderReader.Files(folder, Words[label]))
            {
                var split = testing.Contains(file) ? "test" : validation.Contains(file) ? "val" : "train";
                splits[split].Add(WavFolderReader.Load(Path.Combine(folder, file), label));
            }
        return new TaskData(splits["train"], new Dictionary<string, IReadOnlyList<Example>>(StringComparer.Ordinal) { ["val"] = splits["val"], ["test"] = splits["test"] });
    }
}
