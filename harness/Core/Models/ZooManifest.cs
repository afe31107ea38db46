using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace PeftBench.Core.Models;

/// <summary>
/// What a shipped zoo model is and how it was made (<c>zoo/&lt;id&gt;/manifest.json</c>), for every family: checksums
/// of its files, its architecture (the Hugging Face <c>config.json</c> it was built from), the data and recipe that
/// produced it, the recorded first losses a test replays, and its held-out quality against a trivial baseline.
/// The recipe and held-out sections differ by objective (masked LM, causal LM, supervised patch classification),
/// so they are kept as JSON and read through <see cref="RecipeAs{T}"/> / <see cref="HeldOutAs{T}"/>.
/// </summary>
public sealed record ZooManifest
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("description")] public string Description { get; init; } = "";
    /// <summary>File name → lowercase hex sha256.</summary>
    [JsonPropertyName("sha256")] public SortedDictionary<string, string> Sha256 { get; init; } = new(StringComparer.Ordinal);
    /// <summary>The model's <c>config.json</c> (its <c>model_type</c> names the family).</summary>
    [JsonPropertyName("config")] public JsonObject Config { get; init; } = new();
    [JsonPropertyName("parameter_count")] public long ParameterCount { get; init; }
    [JsonPropertyName("model_bytes")] public long ModelBytes { get; init; }
    /// <summary>The pretraining data: a text corpus, or the image/audio sets a vision or audio model saw.</summary>
    [JsonPropertyName("corpus")] public CorpusDescription Corpus { get; init; } = new();
    [JsonPropertyName("recipe")] public JsonObject Recipe { get; init; } = new();
    [JsonPropertyName("command")] public string Command { get; init; } = "";
    [JsonPropertyName("first_losses")] public float[] FirstLosses { get; init; } = [];
    /// <summary>Step → training loss of that step's batch (a single batch: read trends, not single points).</summary>
    [JsonPropertyName("loss_every_100_steps")] public SortedDictionary<int, float> LossCurve { get; init; } = new();
    [JsonPropertyName("held_out")] public JsonObject HeldOut { get; init; } = new();
    [JsonPropertyName("timing")] public PretrainTiming Timing { get; init; } = new();
    /// <summary>
    /// ViT/AST only: what classification heads pool (<c>mean_patches</c> for backbones pretrained by masked patch
    /// modelling, whose CLS/distillation tokens were never trained; see <see cref="PatchPooling"/>); absent: Hugging
    /// Face's special-token pooling.
    /// </summary>
    [JsonPropertyName("classifier_pooling"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ClassifierPooling { get; init; }

    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public static ZooManifest Read(string path) =>
        JsonSerializer.Deserialize<ZooManifest>(File.ReadAllText(path), JsonOptions)
        ?? throw new InvalidDataException($"{path}: empty manifest.");

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public string ModelType => Config["model_type"]?.GetValue<string>() ?? "";

    public T ConfigAs<T>() => Section<T>(Config, "config");
    public T RecipeAs<T>() => Section<T>(Recipe, "recipe");
    public T HeldOutAs<T>() => Section<T>(HeldOut, "held_out");

    /// <summary>A typed section, as JSON, for writing a manifest from the records a pretrainer uses.</summary>
    public static JsonObject ToSection<T>(T value) => JsonSerializer.SerializeToNode(value, JsonOptions)!.AsObject();

    private T Section<T>(JsonObject section, string name) =>
        section.Deserialize<T>(JsonOptions) ?? throw new InvalidDataException($"manifest of '{Id}': empty '{name}' section.");

    /// <summary>File name → sha256 of each of <paramref name="files"/> in <paramref name="folder"/>, ordinal order.</summary>
    public static SortedDictionary<string, string> Checksums(string folder, IEnumerable<string> files) =>
        new(files.ToDictionary(f => f, f => Sha256Of(Path.Combine(folder, f))), StringComparer.Ordinal);

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>
/// The pretraining data. For text, <see cref="Lines"/> and <see cref="HeldOutLines"/> count corpus lines; for images and
/// audio they count training and held-out examples (images, clips), <see cref="TrainTokens"/> the patch tokens of one
/// pass over the training examples, and <see cref="Splits"/> names the index ranges used and those left out.
/// </summary>
public sealed record CorpusDescription
{
    [JsonPropertyName("file")] public string File { get; init; } = "corpus.txt.gz";
    [JsonPropertyName("description")] public string Description { get; init; } = "";
    /// <summary>Package specs (npm name@version, Debian name=version) the data was extracted from.</summary>
    [JsonPropertyName("sources")] public string[] Sources { get; init; } = [];
    [JsonPropertyName("lines")] public int Lines { get; init; }
    [JsonPropertyName("held_out_lines")] public int HeldOutLines { get; init; }
    /// <summary>Split name → what it holds (e.g. <c>train[0:49000]</c>); absent for the text corpora.</summary>
    [JsonPropertyName("splits"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SortedDictionary<string, string>? Splits { get; init; }
    [JsonPropertyName("train_tokens")] public long TrainTokens { get; init; }
    [JsonPropertyName("characters")] public long Characters { get; init; }
    /// <summary>Source → licence of the package and of the text it holds (written where a pretrainer records them).</summary>
    [JsonPropertyName("licences"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SortedDictionary<string, string>? Licences { get; init; }
    /// <summary>Domain → characters, for corpora that mix domains (the decoder's English, arithmetic and code).</summary>
    [JsonPropertyName("characters_by_domain"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SortedDictionary<string, long>? CharactersByDomain { get; init; }
}

/// <summary>The masked-LM recipe; everything a replay of the first steps needs besides the corpus and vocabulary.</summary>
public sealed record MlmRecipe
{
    [JsonPropertyName("steps")] public int Steps { get; init; } = 5000;
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 128;
    [JsonPropertyName("sequence_length")] public int SequenceLength { get; init; } = 64;
    [JsonPropertyName("peak_learning_rate")] public double PeakLearningRate { get; init; } = 1.5e-3;
    [JsonPropertyName("warmup_steps")] public int WarmupSteps { get; init; } = 400;
    [JsonPropertyName("schedule")] public string Schedule { get; init; } = "linear warm-up to the peak, then linear decay to 0 at the last step";
    [JsonPropertyName("optimizer")] public string Optimizer { get; init; } = "AdamW(beta1 0.9, beta2 0.999, eps 1e-8)";
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; } = 0.01;
    [JsonPropertyName("gradient_clip_norm")] public double GradientClipNorm { get; init; } = 1.0;
    [JsonPropertyName("mask_rate")] public double MaskRate { get; init; } = 0.15;
    [JsonPropertyName("mask_split")] public string MaskSplit { get; init; } = "80% [MASK], 10% random token, 10% unchanged";
    [JsonPropertyName("held_out_fraction")] public double HeldOutFraction { get; init; } = 0.02;
    [JsonPropertyName("seed")] public long Seed { get; init; } = 20261124;
    [JsonPropertyName("threads")] public int Threads { get; init; } = 2;
}

public sealed record HeldOutEvaluation
{
    [JsonPropertyName("masked_tokens")] public long MaskedTokens { get; init; }
    [JsonPropertyName("mlm_loss")] public double MlmLoss { get; init; }
    [JsonPropertyName("accuracy")] public double Accuracy { get; init; }
    [JsonPropertyName("unigram_loss")] public double UnigramLoss { get; init; }
    [JsonPropertyName("unigram_accuracy")] public double UnigramAccuracy { get; init; }
}

public sealed record PretrainTiming
{
    [JsonPropertyName("median_ms_per_step")] public double MedianMsPerStep { get; init; }
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }
    [JsonPropertyName("note")] public string Note { get; init; } = "";
}
