using System.Diagnostics;
using System.Text.Json.Nodes;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Seeding;
using PeftBench.Core.Tasks;
using PeftBench.Core.Tokenization;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Probes;
using PeftBench.Reports;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Harness.Running;

/// <summary>
/// Runs one cell from a fresh pretrained backbone: seed, attach the method, train, evaluate every split,
/// measure, and return a result. Exceptions become a failed result with the reason, so the suite goes on.
/// Task data and tokenization are cached across cells of the same task and model.
/// </summary>
public sealed class CellRunner(IMemoryProbe memory)
{
    private readonly Dictionary<string, TaskData> taskData = new();

    /// <summary>When set, each trained cell's adapter is saved in peft's layout under this folder / cell key.</summary>
    public string? AdapterDirectory { get; init; }
    private readonly Dictionary<string, IReadOnlyDictionary<string, IEncodedSplit>> encoded = new();

    public CellResult Run(PlannedCell cell, Action<int, int, double>? onStep = null)
    {
        var total = Stopwatch.StartNew();
        var started = EnvironmentProbe.Capture(cell.RunsOn, cell.Threads, cell.Seed, cell.Precision.Description);
        if (cell.NotApplicable is { } reason) return Result(cell, started, CellStatus.NotApplicable, reason, null, null, null, null);
        try
        {
            return RunCore(cell, started, total, onStep);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Result(cell, started, CellStatus.Failed, $"{e.GetType().Name}: {e.Message}", null, null, null, null);
        }
    }

    /// <summary>A failed result for a cell that produced none itself (its worker process died), with the reason.</summary>
    public static CellResult Failed(PlannedCell cell, string reason) =>
        Result(cell, EnvironmentProbe.Capture(cell.RunsOn, cell.Threads, cell.Seed, cell.Precision.Description), CellStatus.Failed, reason, null, null, null, null);

    private CellResult RunCore(PlannedCell cell, Provenance provenance, Stopwatch total, Action<int, int, double>? onStep)
    {
        torch.set_num_threads(cell.Threads);
        var device = torch.device(cell.RunsOn);
        var seeds = new SeedTree(cell.Seed);
        var recipe = cell.Profile.Recipe;
        var isRegression = cell.Task.Head.IsRegression;
        memory.Reset();

        var setup = Stopwatch.StartNew();
        var created = CreateModel(cell, seeds, device);
        using var model = created.Model;
        var attachment = created.Attachment;
        var splits = Encode(cell, TextRoom(cell, model));
        var counts = model.CountParameters();
        var predicted = cell.Method.CountTrainable(cell.Model.Sites, cell.Config);
        if (predicted != counts.MethodTrainable)
            throw new InvalidOperationException($"{cell.Method.Id} reports {predicted:N0} trainable parameters but {counts.MethodTrainable:N0} require grad; the method's count is wrong.");
        setup.Stop();

        var primary = cell.Task.Primary;
        var devSplit = splits[cell.Task.ModelSelectionSplit ?? primary.Split];
        // A sampled task decodes every dev prompt Samples times: its dev points read fewer prompts (at least 8).
        var devLimit = Math.Min(recipe.MaxEvalExamples > 0 ? recipe.MaxEvalExamples : int.MaxValue,
            cell.Task.Generation is { } g ? Math.Max(8, GenerationDevCurveMaxExamples / g.Samples) : DevCurveMaxExamples);
        double DevScore()
        {
            // Sampling tasks draw from a generator of their own, so dev points change nothing in training.
            var p = Predict(cell, model, devSplit, devLimit, seeds.Generator("dev-generation"), device).Predictions;
            return primary.Compute(p.Values, devSplit.Labels.Take(p.Values.Length).ToList());
        }
        var outcome = Trainer.Train(model, attachment, splits["train"], isRegression, recipe, seeds, device, onStep, DevScore,
            augment: cell.Augment && cell.Task.Modality != Modality.Text);
        var parameters = Summary(counts) with { MethodSaved = attachment.SavedParameters(model), BackboneStoredBytes = model.BackboneStoredBytes() };
        if (outcome.DivergedReason is not null)
            return Result(cell, provenance, CellStatus.Diverged, outcome.DivergedReason, null, parameters,
                Measure(outcome, setup, 0, double.NaN, null, total), cell.Task) with { History = [.. outcome.History] };

        if (AdapterDirectory is not null)
        {
            // peft's layout where peft has the method (loads there too), PeftBench's own adapter-only format otherwise.
            var directory = Path.Combine(AdapterDirectory, cell.Key);
            if (PeftAdapterCheckpoint.Supports(cell.Method)) PeftAdapterCheckpoint.Save(model, cell.Method, cell.Config, directory);
            else NativeAdapterCheckpoint.Save(model, cell.Method, cell.Config, directory);
        }

        var eval = Stopwatch.StartNew();
        var scores = Evaluate(cell, model, splits, seeds, device);
        eval.Stop();
        var evalSplits = cell.Task.Metrics.Select(m => m.Split).Distinct().ToList();

        double? merged = null;
        if (cell.Method.CanMerge && model.TryMerge())
        {
            // The same split and batches as the unmerged pass, so that the two speeds compare.
            merged = Predict(cell, model, splits[evalSplits[0]], recipe.MaxEvalExamples, seeds.Generator("generation"), device).Predictions.ExamplesPerSecond;
            model.Unmerge();
        }

        var measurements = Measure(outcome, setup, eval.Elapsed.TotalSeconds, scores.ExamplesPerSecond, merged, total) with { GeneratedTokensPerSecond = scores.GeneratedTokensPerSecond };
        return Result(cell, provenance, CellStatus.Ok, null, scores.Metrics, parameters, measurements, cell.Task)
            with { RankAllocation = Allocation(attachment.Report()), History = [.. outcome.History], Examples = scores.Examples, Generations = scores.Generations };
    }

    /// <summary>What evaluating a model on every metric split gives: the metrics, per-example scores and, for generation, samples and speed.</summary>
    private sealed record Scores(Dictionary<string, double> Metrics, ExampleScores? Examples, List<GeneratedSample>? Generations,
        double ExamplesPerSecond, double? GeneratedTokensPerSecond);

    /// <summary>Every metric of the task on its split (each split predicted once), in eval mode without gradients.</summary>
    private Scores Evaluate(PlannedCell cell, SequenceClassifier model, IReadOnlyDictionary<string, IEncodedSplit> splits, SeedTree seeds, Device device)
    {
        var primary = cell.Task.Primary;
        var isRegression = cell.Task.Head.IsRegression;
        var metrics = new Dictionary<string, double>();
        ExampleScores? examples = null;
        List<GeneratedSample>? samples = null;
        double inferSeconds = 0; int inferExamples = 0;
        double? generatedTokensPerSecond = null;
        foreach (var split in cell.Task.Metrics.Select(m => m.Split).Distinct())
        {
            var (predictions, pass) = Predict(cell, model, splits[split], cell.Profile.Recipe.MaxEvalExamples, seeds.Generator("generation"), device);
            inferSeconds += predictions.TimedSeconds; inferExamples += predictions.TimedExamples;
            var gold = splits[split].Labels.Take(predictions.Values.Length).ToList();
            foreach (var metric in cell.Task.Metrics.Where(m => m.Split == split))
                metrics[metric.Name] = metric.Compute(predictions.Values, gold);
            if (split != primary.Split || isRegression || gold.Count > MaxStoredExamples) continue;
            if (pass is null)
                examples = new ExampleScores(split, "accuracy", gold.Select((g, i) => predictions.Values[i] == g ? 1.0 : 0.0).ToList());
            else
            {
                // Per example: the fraction of its samples judged correct (exact match with one greedy sample; pass@1's estimate).
                var n = cell.Task.Generation!.Samples;
                examples = new ExampleScores(split, primary.Name, predictions.Values.Select(v => (double)v / n).ToList());
                samples = Samples(splits[split] as GenerationSplit, pass, n);
                generatedTokensPerSecond = pass.GeneratedTokensPerSecond;
            }
        }
        return new Scores(metrics, examples, samples, inferSeconds > 0 ? inferExamples / inferSeconds : double.NaN, generatedTokensPerSecond);
    }

    /// <summary>
    /// The reference a generation task's table needs (where a classification task has the majority class): the pretrained
    /// decoder itself, no method and no training, decoded and judged exactly as the cells are. It shows what fine-tuning
    /// added; on the math tasks the tiny decoder's arithmetic pretraining alone may score. Keyed by what decides its numbers
    /// (task, data, model weights, evaluation recipe, decoding, device, threads) and by seed 0, whose generator samples.
    /// </summary>
    public CellResult ZeroShot(PlannedCell cell)
    {
        var key = ZeroShotKey(cell);
        var started = EnvironmentProbe.Capture(cell.RunsOn, cell.Threads, 0, cell.Precision.Description);
        var reference = cell with { Seed = 0, Key = key };
        var total = Stopwatch.StartNew();
        try
        {
            torch.set_num_threads(cell.Threads);
            var device = torch.device(cell.RunsOn);
            var seeds = new SeedTree(0);
            memory.Reset();
            seeds.SeedGlobal("backbone");
            using var model = cell.Model.CreateLanguageModel(device);
            model.FreezeAll();
            cell.Precision.ApplyTo(model);
            var splits = Encode(reference, TextRoom(reference, model));
            var eval = Stopwatch.StartNew();
            var scores = Evaluate(reference, model, splits, seeds, device);
            var measurements = new Measurements
            {
                PeakMemoryBytes = memory.PeakBytes(), PeakMemorySource = memory.Source, InferenceExamplesPerSecond = scores.ExamplesPerSecond,
                // Nothing trains: the training figures are absent (NaN renders as "—" in tables), not zero.
                TrainExamplesPerSecond = double.NaN, TrainTokensPerSecond = double.NaN, TrainMsPerStep = double.NaN, FinalTrainLoss = double.NaN, TrainSeconds = double.NaN,
                GeneratedTokensPerSecond = scores.GeneratedTokensPerSecond, EvalSeconds = eval.Elapsed.TotalSeconds, TotalSeconds = total.Elapsed.TotalSeconds,
            };
            return ReferenceResult(reference, started, CellStatus.Ok, null, scores.Metrics, measurements) with { Examples = scores.Examples, Generations = scores.Generations };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ReferenceResult(reference, started, CellStatus.Failed, $"{e.GetType().Name}: {e.Message}", new(), null);
        }
    }

    public const string ZeroShotMethodId = "zero-shot";

    public string ZeroShotKey(PlannedCell cell) => "ref-" + Planning.CellKey.Compute(ZeroShotIdentity(cell));

    private static JsonObject ZeroShotIdentity(PlannedCell cell) => new()
    {
        ["reference"] = ZeroShotMethodId, ["task"] = cell.Task.Id, ["task_version"] = cell.Task.Version, ["data"] = cell.Task.Data.Describe(cell.Data),
        ["model"] = cell.Model.Id, ["model_sha256"] = cell.Model.Sha256,
        ["max_eval_examples"] = cell.Profile.Recipe.MaxEvalExamples, ["eval_batch_size"] = cell.Profile.Recipe.EvalBatchSize,
        ["generation"] = cell.Task.Generation?.ToJson(), ["device"] = cell.Device, ["threads"] = cell.Threads,
    };

    /// <summary>A zero-shot result: <see cref="Result"/>'s, the method fields naming the reference instead of the cell's method.</summary>
    private static CellResult ReferenceResult(PlannedCell cell, Provenance provenance, string status, string? error, Dictionary<string, double> metrics, Measurements? measurements)
    {
        var result = Result(cell, provenance, status, error, metrics, new ParameterSummary(), measurements, cell.Task);
        return result with
        {
            Cell = result.Cell with
            {
                Method = ZeroShotMethodId, MethodVersion = 0, MethodFamily = "reference",
                Config = new JsonObject { ["predicts"] = "the pretrained decoder's own continuation, no training" },
                Budget = null, BudgetTargetParameters = null, KnobName = null, KnobValue = null,
            },
        };
    }

    /// <summary>
    /// Predictions on one split: classes or values for classification and regression; for a generation task, each
    /// example's count of continuations its judge accepted (with the continuations themselves).
    /// </summary>
    internal (Predictions Predictions, GenerationPass? Pass) Predict(PlannedCell cell, SequenceClassifier model, IEncodedSplit split, int limit, TorchSharp.torch.Generator generator, Device device)
    {
        var recipe = cell.Profile.Recipe;
        if (cell.Task.Generation is not { } generation)
            return (Evaluator.Predict(model, split, limit, recipe.EvalBatchSize, cell.Task.Head.IsRegression, device), null);
        var pass = GenerationEvaluator.Generate(model, (GenerationSplit)split, limit, recipe.EvalBatchSize, generation, Tokenizer(cell), generator, device);
        return (pass.Predictions, pass);
    }

    private static IDecoderTokenizer Tokenizer(PlannedCell cell) => cell.Model.DecoderTokenizer
        ?? throw new InvalidOperationException($"{cell.Task.Id} is a generation task; {cell.Model.Id} has no decoder tokenizer.");

    /// <summary>The first <see cref="StoredGenerations"/> examples of a split as generated (the first sample of each), for reading a cell's output.</summary>
    private static List<GeneratedSample>? Samples(GenerationSplit? split, GenerationPass pass, int samples) => split is null ? null
        : Enumerable.Range(0, Math.Min(StoredGenerations, pass.Continuations.Count))
            .Select(i => new GeneratedSample(i, split.Examples[i].Prompt, pass.Continuations[i][0], (int)pass.Predictions.Values[i], samples)).ToList();

    /// <summary>
    /// The cell's model before training, exactly as <see cref="Run"/> builds it from the cell seed: the pretrained
    /// backbone, the head drawn from the seed, the method attached with its seeded init (and calibration data where
    /// it asks), the head trainable, the cell's precision. The merge step rebuilds cells through this, so that the
    /// method's init it compares against is bit-identical to the one training started from.
    /// </summary>
    public (SequenceClassifier Model, MethodAttachment Attachment) CreateModel(PlannedCell cell, SeedTree seeds, Device device)
    {
        seeds.SeedGlobal("backbone");
        // A generation cell keeps the decoder's pretrained LM head; a classification cell gets a new head drawn from the seed.
        var model = cell.Task.IsGeneration ? cell.Model.CreateLanguageModel(device)
            : new SequenceClassifier(cell.Model.CreateBackbone(device), cell.Task.Head.Outputs, cell.Model.HeadDropout, device);
        seeds.SeedGlobal("head");
        if (!cell.Task.IsGeneration) ReinitialiseHead(model);
        var context = new MethodContext(device, seeds.Generator("adapter-init"))
        {
            Calibration = maxExamples => CalibrationBatches(cell, seeds, device, maxExamples)
                .Select(b => { b.Labels.Dispose(); return b.Batch; }).ToList(),
            LabelledCalibration = maxExamples => new LabelledCalibration(CalibrationBatches(cell, seeds, device, maxExamples)
                .Select(b => (b.Batch as TokenBatch ?? throw new NotSupportedException(
                    $"labelled calibration reads token batches; {cell.Task.Id} gives {b.Batch.GetType().Name}es (text tasks only)."), b.Labels)).ToList(),
                cell.Task.Head.IsRegression),
        };
        var attachment = cell.Method.Apply(model, cell.Config, context);
        // The LM head stays as the method left it (frozen, or trained with the embeddings it is tied to).
        if (!cell.Task.IsGeneration) model.SetHeadTrainable(true);
        cell.Precision.ApplyTo(model);
        return (model, attachment);
    }

    /// <summary>Positions left for the text: soft prompts and key/value prefixes take some from the position table.</summary>
    public static int TextRoom(PlannedCell cell, SequenceClassifier model) =>
        cell.Model.MaxSequenceLength - (int)(model.Sites.InputEmbeddings?.AddedPositions ?? 0) - (int)model.Sites.PrefixPositions;

    /// <summary>The cell's task data (cached per task and data folder).</summary>
    internal TaskData Data(PlannedCell cell)
    {
        var dataKey = $"{cell.Task.Id}|{cell.Data.DataDirectory}";
        if (!taskData.TryGetValue(dataKey, out var data)) taskData[dataKey] = data = cell.Task.Data.Load(cell.Data);
        return data;
    }

    /// <summary>Dev points of the training curve use at most this many examples (the final metrics use the whole split).</summary>
    public const int DevCurveMaxExamples = 1000;
    /// <summary>Generation tasks decode token by token, so their dev points use fewer examples (sequences, for sampled tasks).</summary>
    public const int GenerationDevCurveMaxExamples = 64;
    /// <summary>Generated examples stored in a generation cell's result, for reading what the model wrote.</summary>
    public const int StoredGenerations = 8;
    /// <summary>Per-example scores (for the paired bootstrap in reports) are stored for splits up to this size.</summary>
    public const int MaxStoredExamples = 20_000;

    private static RankAllocation? Allocation(RankAllocationReport? report) => report is null ? null : new RankAllocation
    {
        AllocatedParameters = report.AllocatedParameters,
        HeldParameters = report.HeldParameters,
        Ranks = report.Ranks.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value),
    };

    /// <summary>
    /// Up to <paramref name="maxExamples"/> training examples for a method's calibration pass (CorDA), drawn from
    /// the cell seed ("calibration") without replacement, in batches of 32 on <paramref name="device"/>. Encoded at
    /// the model's full length: calibrating methods add no soft-prompt positions. The caller owns the tensors.
    /// </summary>
    private IReadOnlyList<(ModelInputs Batch, Tensor Labels)> CalibrationBatches(PlannedCell cell, SeedTree seeds, Device device, int maxExamples)
    {
        var train = Encode(cell, cell.Model.MaxSequenceLength)["train"];
        var random = seeds.Random("calibration");
        var order = Enumerable.Range(0, train.Count).ToArray();
        random.Shuffle(order);
        return order.Take(Math.Min(maxExamples, train.Count)).Chunk(32)
            .Select(chunk => train.Batch(chunk, device, cell.Task.Head.IsRegression, null)).ToList();
    }

    /// <summary>
    /// Head weights drawn after seeding, so they depend on the cell seed only (not on what ran before): matrices as
    /// nn.Linear's default (Kaiming uniform, a = √5), biases 0, norm weights 1.
    /// </summary>
    private static void ReinitialiseHead(SequenceClassifier model)
    {
        using var _ = no_grad();
        foreach (var (name, p) in model.Head.named_parameters())
        {
            // A norm's weight (AST's head starts with a layernorm) is one-dimensional: its init is 1, as PyTorch's.
            if (name.EndsWith("weight", StringComparison.Ordinal)) { if (p.dim() >= 2) nn.init.kaiming_uniform_(p, Math.Sqrt(5)); else p.fill_(1.0f); }
            else p.zero_();
        }
    }

    /// <summary>
    /// Every split of the cell's task prepared for its backbone (cached per task, data folder, model and text length):
    /// text tokenized to the room the model leaves, images and audio preprocessed as <see cref="Prepare"/> says.
    /// </summary>
    public IReadOnlyDictionary<string, IEncodedSplit> Encode(PlannedCell cell, int modelRoom)
    {
        var maxLength = cell.Model.InputModality == Modality.Text ? MaxTextLength(cell, modelRoom) : 0;
        var key = $"{cell.Task.Id}|{cell.Data.DataDirectory}|{cell.Model.Id}|{cell.Model.Sha256}|{maxLength}"
            + (cell.Task.IsGeneration ? $"|room {modelRoom}|train-on-inputs {cell.TrainOnInputs}" : "");
        if (encoded.TryGetValue(key, out var cached)) return cached;
        var data = Data(cell);
        var result = new Dictionary<string, IEncodedSplit> { ["train"] = Prepare(data.Train, cell, modelRoom) };
        foreach (var (name, examples) in data.Evaluation) result[name] = Prepare(examples, cell, modelRoom);
        encoded[key] = result;
        return result;
    }

    /// <summary>Examples prepared for a cell's backbone (text to at most the tokens <see cref="MaxTextLength"/> leaves).</summary>
    internal static IEncodedSplit Prepare(IReadOnlyList<Example> examples, PlannedCell cell, int modelRoom) => cell.Task.Generation is { } generation
        ? new GenerationSplit(examples, Tokenizer(cell), MaxTextLength(cell, modelRoom), modelRoom, generation.MaxNewTokens, cell.TrainOnInputs)
        : Prepare(examples, cell.Model, cell.Model.InputModality == Modality.Text ? MaxTextLength(cell, modelRoom) : 0);

    /// <summary>
    /// Examples as the backbone reads them: tokenized (<see cref="EncodedSplit"/>), images brought to its channels and
    /// size and normalised (<see cref="ImageSplit"/>), or audio resampled and turned into log-mel frames (<see cref="AudioSplit"/>).
    /// </summary>
    public static IEncodedSplit Prepare(IReadOnlyList<Example> examples, IBackboneSource model, int maxTextLength) => model.InputModality switch
    {
        Modality.Image => new ImageSplit(examples, model.Image ?? throw new InvalidOperationException($"{model.Id} reads images but has no image settings.")),
        Modality.Audio => new AudioSplit(examples, model.Audio ?? throw new InvalidOperationException($"{model.Id} reads audio but has no feature extractor settings.")),
        _ => new EncodedSplit(examples, model, maxTextLength),
    };

    /// <summary>Tokens per example: the recipe's length, within the positions the model leaves for the text.</summary>
    internal static int MaxTextLength(PlannedCell cell, int modelRoom)
    {
        var maxLength = Math.Min(cell.Profile.Recipe.MaxSequenceLength, modelRoom);
        if (maxLength < 4) throw new InvalidOperationException($"only {modelRoom} positions are left for the text; shorten the prompt.");
        return maxLength;
    }

    /// <summary>The profile's recipe; image and audio cells add their input settings (pooling, augmentation) under <c>input</c>.</summary>
    private static JsonObject RecipeJson(PlannedCell cell)
    {
        var recipe = cell.Profile.Recipe.ToJson();
        if (Planner.InputSettings(cell.Task, cell.Model, cell.Augment, cell.TrainOnInputs) is { } input) recipe["input"] = input;
        return recipe;
    }

    private static ParameterSummary Summary(ParameterCounts c) => new()
    {
        Adapter = c.Adapter, Head = c.Head, Other = c.Other, Trainable = c.Trainable, MethodTrainable = c.MethodTrainable,
        Total = c.Total, Backbone = c.Backbone,
        MethodTrainableFraction = c.Backbone == 0 ? 0 : (double)c.MethodTrainable / c.Backbone,
    };

    private Measurements Measure(TrainOutcome o, Stopwatch setup, double evalSeconds, double inference, double? merged, Stopwatch total) => new()
    {
        PeakMemoryBytes = memory.PeakBytes(),
        PeakMemorySource = memory.Source,
        TrainExamplesPerSecond = o.ExamplesPerSecond,
        TrainTokensPerSecond = o.TokensPerSecond,
        TrainMsPerStep = o.MedianMsPerStep,
        TrainPaddingFraction = o.PaddingFraction,
        InferenceExamplesPerSecond = inference,
        InferenceExamplesPerSecondMerged = merged,
        Steps = o.Steps,
        Epochs = o.Epochs,
        FinalTrainLoss = o.FinalLoss,
        SetupSeconds = setup.Elapsed.TotalSeconds,
        TrainSeconds = o.TrainSeconds,
        EvalSeconds = evalSeconds,
        TotalSeconds = total.Elapsed.TotalSeconds,
    };

    private static CellResult Result(PlannedCell cell, Provenance provenance, string status, string? error,
        Dictionary<string, double>? metrics, ParameterSummary? parameters, Measurements? measurements, TaskSpec? task)
    {
        var score = metrics is null || task is null ? null : task.ScoreOf(metrics);
        return new CellResult
        {
            Key = cell.Key,
            Status = status,
            Error = error,
            Cell = new CellSpec
            {
                Task = cell.Task.Id,
                TaskVersion = cell.Task.Version,
                Model = cell.Model.Id,
                ModelSha256 = cell.Model.Sha256,
                Method = cell.Method.Id,
                MethodVersion = cell.Method.Version,
                MethodFamily = cell.Method.Family,
                Config = JsonNode.Parse(cell.Config.ToCanonicalJson())!.AsObject(),
                Budget = cell.Budget?.Budget.Spec,
                BudgetTargetParameters = cell.Budget?.TargetParameters,
                KnobName = cell.Method.Knob?.Name,
                KnobValue = cell.Method.Knob is null ? null : cell.Method.KnobValue(cell.Config),
                Seed = cell.Seed,
                Profile = cell.Profile.Id,
                Recipe = RecipeJson(cell),
                Device = cell.Device,
                Threads = cell.Threads,
                Precision = cell.Precision.Id,
            },
            Metrics = metrics ?? new(),
            PrimaryMetric = cell.Task.Primary.Name,
            HigherIsBetter = cell.Task.Metrics.ToDictionary(m => m.Name, m => m.HigherIsBetter),
            TaskScore = score,
            ScoreMetrics = cell.Task.ScoreMetrics.ToList(),
            Suites = cell.Task.Suites.ToList(),
            Group = cell.Task.Group,
            Parameters = parameters,
            Measurements = measurements,
            Provenance = provenance,
        };
    }
}
