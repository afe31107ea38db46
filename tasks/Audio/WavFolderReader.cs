using PeftBench.Core.Tasks;
using PeftBench.Tasks.Readers;

namespace PeftBench.Tasks.Audio;

/// <summary>
/// A folder of class folders of WAV files (<c>ROOT/CLASS/*.wav</c>, as Speech Commands is laid out): the class index
/// of a file is the position of its folder among the sorted (ordinal) class folder names, files are read in ordinal
/// order of their names, and every clip is mixed down to mono (<see cref="WavAudio.Mono"/>) at its own rate.
/// </summary>
public static class WavFolderReader
{
    /// <summary>The class folders of <paramref name="root"/> in ordinal order, without those starting with '_' or '.' (Speech Commands' <c>_background_noise_</c>).</summary>
    public static IReadOnlyList<string> Classes(string root) =>
        Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('_') && !n.StartsWith('.')).Order(StringComparer.Ordinal).ToList();

    /// <summary>The WAV files of one class folder, as paths relative to <paramref name="root"/> with '/' separators, in ordinal order.</summary>
    public static IReadOnlyList<string> Files(string root, string className) =>
        Directory.GetFiles(Path.Combine(root, className))
            .Where(p => p.EndsWith(".wav", StringComparison.OrdinalIgnoreCase))
            .Select(p => className + "/" + Path.GetFileName(p)).Order(StringComparer.Ordinal).ToList();

    /// <summary>One clip as a mono example.</summary>
    public static AudioExample Load(string path, int label)
    {
        var audio = WavFile.Read(path);
        return new AudioExample(audio.Mono(), audio.SampleRateHz, label);
    }

    /// <summary>Every clip of every class folder (<see cref="Classes"/>), labelled by class index.</summary>
    public static IReadOnlyList<AudioExample> Read(string root)
    {
        var classes = Classes(root);
        return classes.SelectMany((c, label) => Files(root, c).Select(f => Load(Path.Combine(root, f), label))).ToList();
    }
}
