using PeftBench.Core.Catalogs;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Tokenization;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>A shipped zoo model: its id (the folder name), folder and manifest.</summary>
public sealed record ZooEntry(string Id, string Folder, ZooManifest Manifest);

/// <summary>What a model is, known without loading or training it.</summary>
public sealed record ModelInfo(string Id, string Folder, EncoderConfig Config, string? ModelSha256, long ParameterCount, bool Shipped);

/// <summary>A ready encoder with the tokenizer of its own folder.</summary>
public sealed record LoadedModel(ModelInfo Info, BertEncoder Encoder, ITextTokenizer Tokenizer, IReadOnlyList<string> IgnoredKeys);

/// <summary>
/// Resolves a model id to weights: a shipped id (<c>tiny-bert</c>) names <c>&lt;AppContext.BaseDirectory&gt;/zoo/&lt;id&gt;/</c>,
/// any existing folder path is read as a Hugging Face folder. Shipped models are checked against the sha256
/// recorded in their manifest before use, so a benchmark never runs on silently altered weights.
/// </summary>
public sealed class ModelZoo
{
    public string Root { get; }
    public Catalog<ZooEntry> Shipped { get; }

    public ModelZoo(string? root = null)
    {
        Root = root ?? Path.Combine(AppContext.BaseDirectory, "zoo");
        var entries = Directory.Exists(Root)
            ? Directory.EnumerateDirectories(Root).Order(StringComparer.Ordinal)
                .Where(d => File.Exists(Path.Combine(d, "manifest.json")))
                .Select(d => new ZooEntry(Path.GetFileName(d), d, ZooManifest.Read(Path.Combine(d, "manifest.json"))))
            : [];
        Shipped = new Catalog<ZooEntry>("model", entries, e => e.Id);
    }

    public ModelInfo Describe(string idOrPath)
    {
        if (Directory.Exists(idOrPath) && File.Exists(Path.Combine(idOrPath, "config.json")))
        {
            var folder = Path.GetFullPath(idOrPath);
            return new ModelInfo(Path.GetFileName(folder.TrimEnd('/')), folder, HfEncoderLoader.ReadConfig(folder), null, CountParameters(folder), Shipped: false);
        }
        if (!Shipped.Contains(idOrPath))
            throw new KeyNotFoundException(Shipped.UnknownMessage(idOrPath) + " A path to a Hugging Face folder (config.json + model.safetensors) also works.");
        var entry = Shipped.Get(idOrPath);
        return new ModelInfo(entry.Id, entry.Folder, HfEncoderLoader.ReadConfig(entry.Folder),
            entry.Manifest.Sha256.GetValueOrDefault("model.safetensors"), CountParameters(entry.Folder), Shipped: true);
    }

    public LoadedModel Load(string idOrPath, Device? device = null)
    {
        var info = Describe(idOrPath);
        if (info.Shipped) Verify(Shipped.Get(info.Id));
        var loaded = HfEncoderLoader.Load(info.Folder, device);
        return new LoadedModel(info, loaded.Encoder, TextTokenizers.FromFolder(info.Folder), loaded.IgnoredKeys);
    }

    /// <summary>Checks the shipped files against the manifest's sha256; throws with how to rebuild on a mismatch.</summary>
    public static void Verify(ZooEntry entry)
    {
        foreach (var file in new[] { "model.safetensors", "vocab.txt", "config.json" })
        {
            if (!entry.Manifest.Sha256.TryGetValue(file, out var expected)) continue;
            var path = Path.Combine(entry.Folder, file);
            if (!File.Exists(path)) throw new FileNotFoundException($"zoo model '{entry.Id}': {file} is missing. Rebuild it with `{entry.Manifest.Command}`.", path);
            var actual = ZooManifest.Sha256Of(path);
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException(
                    $"zoo model '{entry.Id}': {file} has sha256 {actual} but manifest.json records {expected}; the file is corrupt or was changed. " +
                    $"Restore it from git (git checkout -- harness/zoo/{entry.Id}) or rebuild it with `{entry.Manifest.Command}`.");
        }
    }

    /// <summary>Backbone parameters from the safetensors headers alone (skipped heads excluded).</summary>
    public static long CountParameters(string folder) =>
        HfEncoderLoader.WeightFiles(folder)
            .SelectMany(f => Safetensors.ReadHeader(f).Entries)
            .Where(e => HfEncoderLoader.MapName(e.Name) is not null)
            .Sum(e => e.ElementCount);
}
