using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Audio;

/// <summary>Where a real-data audio task's folder lies under <c>--data-dir</c>, and the up-front problems when it does not.</summary>
public static class RealDataFolder
{
    /// <summary>The first of <paramref name="names"/> that exists under the data folder (the first name when none does); null without <c>--data-dir</c>.</summary>
    public static string? Find(DataOptions options, params string[] names)
    {
        if (options.DataDirectory is null) return null;
        var dir = Path.GetFullPath(options.DataDirectory);
        return names.Select(n => Path.Combine(dir, n)).FirstOrDefault(Directory.Exists) ?? Path.Combine(dir, names[0]);
    }

    /// <summary>Problems with the folder itself: no <c>--data-dir</c>, or the folder missing (listing what is there instead).</summary>
    public static IEnumerable<string> CheckFolder(string? folder, string dataset, string layout)
    {
        if (folder is null)
        {
            yield return $"{dataset} is not embedded: pass --data-dir with the folder that holds {layout}.";
            yield break;
        }
        if (Directory.Exists(folder)) yield break;
        var parent = Path.GetDirectoryName(folder)!;
        var found = Directory.Exists(parent) ? Directory.GetDirectories(parent).Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(12).ToList() : [];
        var seen = found.Count > 0 ? $" Folders found in '{parent}': {string.Join(", ", found)}." : "";
        yield return $"{dataset} folder '{folder}' does not exist.{seen} --data-dir must hold {layout}.";
    }
}
