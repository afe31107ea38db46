using PeftBench.Core.Catalogs;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Tokenization;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>A shipped zoo model: its id (the folder name), folder and manifest.</summary>
public sealed record ZooEntry(string Id, string Folder, ZooManifest Manifest)
{
    /// <summary>Hugging Face <c>model_type</c> of its config (<c>bert</c>, <c>llama</c> …).</summary>
    public string ModelType => Manifest.ModelType;
    public bool IsEncoder => ModelZoo.EncoderTypes.Contains(ModelType);
    public bool IsDecoder => DecoderConfig.KnownTypes.Contains(ModelType);
    public bool IsPatchTransformer => ModelZoo.PatchTransformerTypes.Contains(ModelType);
}

/// <summary>
/// A ready ViT or AST backbone with its <c>preprocessor_config.json</c> text (image processor or feature extractor);
/// <see cref="Sha256"/> null for a folder given by path. Its <see cref="PatchTransformer.ClassifierPooling"/> is the
/// manifest's for shipped models, Hugging Face's otherwise.
/// </summary>
public sealed record LoadedPatchModel(string Id, string Folder, string? Sha256, bool Shipped, PatchTransformer Backbone, string PreprocessorJson);

/// <summary>What a model is, known without loading or training it.</summary>
public sealed record ModelInfo(string Id, string Folder, EncoderConfig Config, string? ModelSha256, long ParameterCount, bool Shipped);

/// <summary>A ready encoder with the tokenizer of its own folder.</summary>
public sealed record LoadedModel(ModelInfo Info, BertEncoder Encoder, ITextTokenizer Tokenizer, IReadOnlyList<string> IgnoredKeys);

/// <summary>A ready decoder backbone (no LM head) with the tokenizer of its own folder; <see cref="Sha256"/> null for a folder given by path.</summary>
public sealed record LoadedDecoderModel(string Id, string Folder, string? Sha256, bool Shipped, DecoderBackbone Backbone, IDecoderTokenizer Tokenizer)
{
    /// <summary>The checkpoint's <c>lm_head.weight</c> when asked for and the config does not tie it to the embeddings; else null.</summary>
    public Tensor? UntiedLmHeadWeight { get; init; }
}

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

    public static readonly IReadOnlyList<string> EncoderTypes = ["bert", "roberta"];
    public static readonly IReadOnlyList<string> PatchTransformerTypes = [VitConfig.Type, AstConfig.Type];

    public ModelInfo Describe(string idOrPath)
    {
        if (!Directory.Exists(idOrPath) && Shipped.Contains(idOrPath) && Shipped.Get(idOrPath) is { IsEncoder: false } other)
            throw new InvalidDataException(NotAnEncoder(other));
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

    /// <summary>
    /// A decoder (<c>tiny-llama</c> or a decoder folder by path) as a bare backbone with its own tokenizer; shipped ones
    /// are checksum-verified first. Classification cells put the last-token <c>score</c> head on it.
    /// </summary>
    /// <param name="withLmHead">Also load an untied <c>lm_head.weight</c> (generation cells); a tied head is the embedding table.</param>
    public LoadedDecoderModel LoadDecoder(string idOrPath, Device? device = null, bool withLmHead = false)
    {
        string id, folder;
        string? sha = null;
        bool shipped = !Directory.Exists(idOrPath);
        if (shipped)
        {
            if (!Shipped.Contains(idOrPath)) throw new KeyNotFoundException(Shipped.UnknownMessage(idOrPath));
            var entry = Shipped.Get(idOrPath);
            if (!entry.IsDecoder) throw new InvalidDataException($"{entry.Id} is a {entry.ModelType} model, not a decoder.");
            Verify(entry);
            (id, folder, sha) = (entry.Id, entry.Folder, entry.Manifest.Sha256.GetValueOrDefault("model.safetensors"));
        }
        else
        {
            folder = Path.GetFullPath(idOrPath);
            id = Path.GetFileName(folder.TrimEnd('/'));
        }
        if (withLmHead && !HfDecoderLoader.ReadConfig(folder).TieWordEmbeddings)
        {
            var causal = HfDecoderLoader.LoadCausalLm(folder, device).Model;
            return new LoadedDecoderModel(id, folder, sha, shipped, causal.Backbone, DecoderTokenizers.FromFolder(folder)) { UntiedLmHeadWeight = causal.LmHeadWeight };
        }
        var loaded = HfDecoderLoader.LoadBackbone(folder, device);
        return new LoadedDecoderModel(id, folder, sha, shipped, loaded.Backbone, DecoderTokenizers.FromFolder(folder));
    }

    /// <summary>
    /// A ViT or AST (<c>tiny-vit</c>, <c>tiny-ast</c> or a Hugging Face folder by path) as a bare backbone with its
    /// preprocessing settings; shipped ones are checksum-verified first and pool as their manifest says.
    /// </summary>
    public LoadedPatchModel LoadPatchTransformer(string idOrPath, Device? device = null)
    {
        string id, folder;
        string? sha = null;
        var pooling = PatchPooling.SpecialTokens;
        bool shipped = !Directory.Exists(idOrPath);
        if (shipped)
        {
            if (!Shipped.Contains(idOrPath)) throw new KeyNotFoundException(Shipped.UnknownMessage(idOrPath));
            var entry = Shipped.Get(idOrPath);
            if (!entry.IsPatchTransformer) throw new InvalidDataException($"{entry.Id} is a {entry.ModelType} model, not a ViT or AST.");
            Verify(entry);
            (id, folder, sha) = (entry.Id, entry.Folder, entry.Manifest.Sha256.GetValueOrDefault("model.safetensors"));
            if (entry.Manifest.ClassifierPooling is { } named) pooling = PatchPoolings.Parse(named, Path.Combine(folder, "manifest.json"));
        }
        else
        {
            folder = Path.GetFullPath(idOrPath);
            id = Path.GetFileName(folder.TrimEnd('/'));
        }
        var preprocessor = Path.Combine(folder, VitImageProcessorConfig.FileName);
        if (!File.Exists(preprocessor))
            throw new FileNotFoundException($"model '{idOrPath}': {folder} has no {VitImageProcessorConfig.FileName} (the image processor / feature extractor settings); copy it from the checkpoint's Hugging Face repository.", preprocessor);
        var backbone = HfVisionLoader.Load(folder, device).Model;
        backbone.ClassifierPooling = pooling;
        return new LoadedPatchModel(id, folder, sha, shipped, backbone, File.ReadAllText(preprocessor));
    }

    /// <summary>The <c>model_type</c> a zoo id or folder names, without loading weights.</summary>
    public string ModelTypeOf(string idOrPath) =>
        Directory.Exists(idOrPath) && File.Exists(Path.Combine(idOrPath, "config.json"))
            ? ModelResolver.Resolve(idOrPath, this).ModelType
            : Shipped.Contains(idOrPath) ? Shipped.Get(idOrPath).ModelType
            : throw new KeyNotFoundException(Shipped.UnknownMessage(idOrPath) + " A path to a Hugging Face folder (config.json + model.safetensors) also works.");

    private static string NotAnEncoder(ZooEntry entry) => entry.IsDecoder
        ? $"{entry.Id} is a {entry.ModelType} decoder: ModelZoo.Describe/Load return encoders; load it with ModelZoo.LoadDecoder " +
          "(GLUE classification runs on it through the last-token score head; the math and code suites will generate with it)."
        : $"{entry.Id} is a {entry.ModelType} model: ModelZoo.Describe/Load return text encoders (bert, roberta); the {entry.ModelType} family is not loaded here in this version.";

    /// <summary>
    /// Checks the shipped files against the manifest's sha256 (every file but the corpus, which loading never reads);
    /// throws with how to rebuild on a mismatch.
    /// </summary>
    public static void Verify(ZooEntry entry)
    {
        foreach (var (file, expected) in entry.Manifest.Sha256)
        {
            if (file == entry.Manifest.Corpus.File) continue;
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
