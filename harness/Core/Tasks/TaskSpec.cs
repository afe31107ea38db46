namespace PeftBench.Core.Tasks;

public enum Modality { Text, Image, Audio }

/// <summary>What the head predicts: C classes (argmax) or one real value (regression, MSE loss).</summary>
public sealed record HeadSpec(int Outputs, bool IsRegression, IReadOnlyList<string> LabelNames)
{
    public static HeadSpec Classification(params string[] labels) => new(labels.Length, false, labels);
    public static HeadSpec Regression() => new(1, true, Array.Empty<string>());
    /// <summary>A generation task's head: the decoder's own (pretrained, frozen unless a method trains it) LM head; no classes.</summary>
    public static HeadSpec LanguageModel() => new(0, false, Array.Empty<string>());
}

/// <summary>
/// A metric and the evaluation split it is computed on. <see cref="HigherIsBetter"/> decides table bolding,
/// Pareto directions and regression checks. Inputs are per-example predictions (class index or value) and gold labels.
/// </summary>
public sealed record MetricSpec(string Name, bool HigherIsBetter, string Split, Func<IReadOnlyList<float>, IReadOnlyList<float>, double> Compute);

/// <summary>One example of any modality; <see cref="Label"/> is a class index or a regression target.</summary>
public abstract record Example(float Label);

/// <summary>One text or text-pair example.</summary>
public sealed record TextExample(string TextA, string? TextB, float Label) : Example(Label);

/// <summary>
/// One decoded image as stored (before the backbone's preprocessing): 8-bit intensities, channels first
/// [<see cref="Channels"/>, <see cref="Height"/>, <see cref="Width"/>] (1 = grey, 3 = RGB). Resizing to the backbone's
/// input size, channel conversion and normalisation belong to the backbone's image processor, not to the task.
/// </summary>
public sealed record ImageExample(byte[] Pixels, int Channels, int Height, int Width, float Label) : Example(Label)
{
    public ImageExample Validated() =>
        Channels is 1 or 3 && Height > 0 && Width > 0 && Pixels.Length == Channels * Height * Width ? this
        : throw new InvalidDataException($"an image must hold channels × height × width = {Channels} × {Height} × {Width} bytes with 1 or 3 channels, not {Pixels.Length}.");
}

/// <summary>
/// One mono audio clip as stored: samples in [−1, 1] at <see cref="SampleRate"/> Hz. Resampling to the backbone's
/// rate, padding or cropping to its length and the log-mel front end belong to the backbone's feature extractor.
/// </summary>
public sealed record AudioExample(float[] Samples, int SampleRate, float Label) : Example(Label);

/// <summary>A task's examples: one training split and named evaluation splits (MNLI has two), all of one modality.</summary>
public sealed record TaskData(IReadOnlyList<Example> Train, IReadOnlyDictionary<string, IReadOnlyList<Example>> Evaluation)
{
    /// <summary>The training split as examples of type <typeparamref name="T"/>; throws naming the modality it holds otherwise.</summary>
    public IReadOnlyList<T> TrainAs<T>() where T : Example => As<T>(Train, "train");

    /// <summary>An evaluation split as examples of type <typeparamref name="T"/>.</summary>
    public IReadOnlyList<T> EvaluationAs<T>(string split) where T : Example => As<T>(Evaluation[split], split);

    private static IReadOnlyList<T> As<T>(IReadOnlyList<Example> examples, string split) where T : Example =>
        examples as IReadOnlyList<T> ?? examples.Select(e => e as T
            ?? throw new InvalidCastException($"split '{split}' holds {e.GetType().Name}s, not {typeof(T).Name}s.")).ToList();
}

/// <summary>Where a task's data comes from; <see cref="Check"/> runs before any training.</summary>
public interface ITaskDataSource
{
    /// <summary>Human-readable origin (file paths or "embedded: …").</summary>
    string Describe(DataOptions options);
    /// <summary>Problems (missing folder or file, bad header), each saying what, where and how to fix; empty when loadable.</summary>
    IEnumerable<string> Check(DataOptions options);
    TaskData Load(DataOptions options);
}

/// <summary>Where real data lives (<c>--data-dir</c>); null means the embedded default.</summary>
public sealed record DataOptions(string? DataDirectory);

/// <summary>
/// A task: one declarative record (lm-evaluation-harness style). The primary metric is the first. Ids are
/// lowercase and stable (<c>glue/sst2</c>); a change of data or metric bumps <see cref="Version"/>.
/// </summary>
public sealed record TaskSpec(
    string Id,
    int Version,
    string Description,
    IReadOnlyList<string> Suites,
    Modality Modality,
    HeadSpec Head,
    IReadOnlyList<MetricSpec> Metrics,
    ITaskDataSource Data)
{
    public MetricSpec Primary => Metrics[0];

    /// <summary>
    /// The task's group inside its suite, for suites that report a mean of group means besides the mean over tasks
    /// (VTAB-1k: natural, specialized, structured); null for suites without groups.
    /// </summary>
    public string? Group { get; init; }

    /// <summary>
    /// The split the training curve's dev points (and any model selection) are computed on, when it is not the
    /// primary metric's: VTAB-1k selects on its 200 validation images and scores on the test split. Null: the
    /// primary metric's split (GLUE's dev).
    /// </summary>
    public string? ModelSelectionSplit { get; init; }

    /// <summary>
    /// Metrics averaged into this task's contribution to its suite average (GLUE: a task with several metrics
    /// counts as their mean). Defaults to all metrics.
    /// </summary>
    public IReadOnlyList<string>? SuiteScoreMetrics { get; init; }

    /// <summary>
    /// Set for generation tasks (math word problems, program synthesis): the model is a decoder with its pretrained
    /// language-model head, trained on prompt → response examples (<see cref="PromptExample"/>) and evaluated on what it
    /// generates. Null for classification and regression tasks. <see cref="Head"/> is <see cref="HeadSpec.LanguageModel"/>.
    /// </summary>
    public GenerationSpec? Generation { get; init; }

    public bool IsGeneration => Generation is not null;

    public IReadOnlyList<string> ScoreMetrics => SuiteScoreMetrics ?? Metrics.Select(m => m.Name).ToList();

    /// <summary>This task's contribution to its suite average, or null when a score metric is missing.</summary>
    public double? ScoreOf(IReadOnlyDictionary<string, double> metrics) =>
        ScoreMetrics.All(metrics.ContainsKey) ? ScoreMetrics.Average(m => metrics[m]) : null;
}

/// <summary>
/// One example of a generation task: the model reads <see cref="Prompt"/> (already formatted by the task: "Question: …
/// Answer:") and is trained to write <see cref="Response"/>; at evaluation it writes its own continuation, which the
/// task's <see cref="GenerationSpec.Judge"/> scores. Tasks derive their own records to carry what judging needs (a gold
/// answer, test cases). <see cref="Example.Label"/> is unused (0).
/// </summary>
public record PromptExample(string Prompt, string Response) : Example(0f);

/// <summary>
/// How a generation task is decoded and judged. Each evaluation prompt is continued <see cref="Samples"/> times: greedily
/// when 1, else by sampling at <see cref="Temperature"/> and nucleus <see cref="TopP"/> (Chen et al., 2021's protocol for
/// pass@k), from a generator seeded by the cell seed. A continuation stops at the end-of-sequence token, after
/// <see cref="MaxNewTokens"/> tokens, or at the first of <see cref="StopSequences"/> (cut off there). The judge returns how
/// many of an example's continuations are correct; that count is the example's prediction, which the task's metrics turn
/// into exact match (the mean, with one sample) or pass@k (Chen et al.'s unbiased estimator over the counts).
/// </summary>
public sealed record GenerationSpec(int MaxNewTokens, Func<PromptExample, IReadOnlyList<string>, int> Judge)
{
    public int Samples { get; init; } = 1;
    public double Temperature { get; init; } = 0.8;
    public double TopP { get; init; } = 0.95;
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    public bool Greedy => Samples == 1;

    /// <summary>Decoding settings as they enter cell keys and results (the judge is the task's, versioned with it).</summary>
    public System.Text.Json.Nodes.JsonObject ToJson()
    {
        var json = new System.Text.Json.Nodes.JsonObject
        {
            ["max_new_tokens"] = MaxNewTokens,
            ["samples"] = Samples,
            ["decoding"] = Greedy ? "greedy" : "sampling",
        };
        if (!Greedy) { json["temperature"] = Temperature; json["top_p"] = TopP; }
        if (StopSequences.Count > 0) json["stop"] = new System.Text.Json.Nodes.JsonArray(StopSequences.Select(s => (System.Text.Json.Nodes.JsonNode?)s).ToArray());
        return json;
    }

    public IEnumerable<string> Validate()
    {
        if (MaxNewTokens < 1) yield return $"max_new_tokens must be at least 1 (got {MaxNewTokens}).";
        if (Samples < 1) yield return $"samples must be at least 1 (got {Samples}).";
        if (Samples > 1 && !(Temperature > 0)) yield return $"sampling needs a temperature > 0 (got {Temperature}).";
        if (!(TopP > 0 && TopP <= 1)) yield return $"top_p must lie in (0, 1] (got {TopP}).";
    }
}
