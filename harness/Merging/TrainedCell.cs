using PeftBench.Core.Checkpoints;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Seeding;
using PeftBench.Core.Tasks;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Running;
using PeftBench.Reports;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Harness.Merging;

/// <summary>One tensor of a trained update: the live parameter, its trained value, the value training started from, and τ.</summary>
public sealed record UpdateTensor(string Name, Tensor Live, Tensor Trained, Tensor Reference, Tensor Tau);

/// <summary>
/// A finished cell rebuilt from its result file and saved adapter: the model with the trained update loaded, and the
/// update in the method's own parameters, τ = θ_trained − θ_init, over every tensor the method trained (the head
/// excluded). θ_init is the method's init, rebuilt from the cell seed exactly as training began (the LoRA A drawn from
/// the seed, B = 0; (IA)³'s ones; the pretrained weights for full fine-tuning and BitFit), so τ is what training
/// added. Storing τ needs the seed, not θ_init.
/// </summary>
public sealed class TrainedCell : IDisposable
{
    public CellResult Result { get; }
    public PlannedCell Cell { get; }
    public SequenceClassifier Model { get; }
    public Device Device { get; }
    public IReadOnlyList<UpdateTensor> Update { get; }
    public IReadOnlyDictionary<string, IEncodedSplit> Splits { get; }
    public IEncodedSplit Selection { get; }
    /// <summary>Where the selection rows come from, in words (held-out training rows, or training rows the model saw).</summary>
    public string SelectionSource { get; }

    private TrainedCell(CellResult result, PlannedCell cell, SequenceClassifier model, Device device, IReadOnlyList<UpdateTensor> update,
        IReadOnlyDictionary<string, IEncodedSplit> splits, IEncodedSplit selection, string selectionSource)
    {
        Result = result; Cell = cell; Model = model; Device = device; Update = update; Splits = splits; Selection = selection; SelectionSource = selectionSource;
    }

    public long UpdateElements => Update.Sum(u => u.Tau.numel());
    public long HeadBytes => Model.Head.parameters().Sum(p => p.numel()) * 4;

    /// <summary>
    /// Why this method's update is not a set of tensors added to the weights (so the operations do not apply), or null.
    /// Methods that fold into W₀ (<see cref="IPeftMethod.CanMerge"/>: the LoRA family, (IA)³, SSF …) and methods that
    /// train backbone tensors themselves (full fine-tuning, BitFit, LN-tuning) qualify.
    /// </summary>
    public static string? Unsupported(IPeftMethod method, ParameterCounts counts)
    {
        if (counts.MethodTrainable == 0) return $"{method.Id} trains only the head: there is no update to compress or merge";
        if (counts.Adapter > 0 && !method.CanMerge)
            return $"{method.Id}'s update does not fold into the weights (it acts on activations, as adapters, prompts, prefixes and interventions do), so it is not a set of tensors added to W₀ to sparsify or add as a task vector";
        return null;
    }

    /// <summary>Rebuilds the cell, loads its adapter (peft layout or PeftBench's own) and splits τ off.</summary>
    public static TrainedCell Load(CellResult result, PlannedCell cell, string adapterDirectory, CellRunner runner, int selectionExamples)
    {
        torch.set_num_threads(cell.Threads);
        var device = torch.device(cell.RunsOn);
        var seeds = new SeedTree(cell.Seed);
        var (model, _) = runner.CreateModel(cell, seeds, device);
        try
        {
            if (Unsupported(cell.Method, model.CountParameters()) is { } reason) throw new NotSupportedException(reason);
            var trainable = model.named_parameters()
                .Where(p => p.parameter.requires_grad && model.OriginOf(p.name) != ParameterOrigin.Head)
                .Select(p => (p.name, Live: (Tensor)p.parameter, Reference: p.parameter.detach().clone()))
                .ToList();
            LoadAdapter(adapterDirectory, model, cell);
            var update = trainable.Select(t =>
            {
                var trained = t.Live.detach().clone();
                return new UpdateTensor(t.name, t.Live, trained, t.Reference, trained - t.Reference);
            }).ToList();
            var splits = runner.Encode(cell, CellRunner.TextRoom(cell, model));
            var (selection, source) = SelectionSplit(cell, model, runner, seeds, selectionExamples);
            return new TrainedCell(result, cell, model, device, update, splits, selection, source);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static void LoadAdapter(string directory, SequenceClassifier model, PlannedCell cell)
    {
        if (File.Exists(Path.Combine(directory, PeftAdapterCheckpoint.ConfigFile)))
        {
            var folder = PeftAdapterCheckpoint.Load(directory);
            if (folder.ConfigJson is { } json && !MethodConfig.FromCanonicalJson(cell.Config.GetType(), json).Equals(cell.Config))
                throw new InvalidDataException($"{directory}: the adapter's config differs from the cell's; the folder belongs to another run.");
            PeftAdapterCheckpoint.LoadInto(folder, model, cell.Method);
        }
        else if (NativeAdapterCheckpoint.IsNativeFolder(directory))
        {
            var folder = NativeAdapterCheckpoint.Load(directory);
            if (folder.Version != cell.Method.Version)
                throw new InvalidDataException($"{directory}: saved by {cell.Method.Id} version {folder.Version}; this build has version {cell.Method.Version}.");
            if (!MethodConfig.FromCanonicalJson(cell.Config.GetType(), folder.ConfigJson).Equals(cell.Config))
                throw new InvalidDataException($"{directory}: the adapter's config differs from the cell's; the folder belongs to another run.");
            NativeAdapterCheckpoint.LoadInto(folder, model, cell.Method);
        }
        else throw new FileNotFoundException($"{directory} holds neither {PeftAdapterCheckpoint.ConfigFile} nor {NativeAdapterCheckpoint.ConfigFile}.");
    }

    /// <summary>
    /// The rows the scale (α, λ) is chosen on: training rows the cell did not train on, when the recipe capped its
    /// training subset and enough are left, else training rows it saw. Never the evaluation split the scores are
    /// reported on. Drawn from the cell seed ("merge-selection").
    /// </summary>
    private static (IEncodedSplit, string) SelectionSplit(PlannedCell cell, SequenceClassifier model, CellRunner runner, SeedTree seeds, int count)
    {
        var train = runner.Data(cell).Train;
        var used = Trainer.TrainingIndices(train.Count, cell.Profile.Recipe, seeds).ToHashSet();
        var heldOut = Enumerable.Range(0, train.Count).Where(i => !used.Contains(i)).ToList();
        var (pool, source) = heldOut.Count >= count ? (heldOut, "training rows held out from this cell's training") : (Enumerable.Range(0, train.Count).ToList(), "training rows (the cell trained on them: no held-out rows were left)");
        var random = seeds.Random("merge-selection");
        var chosen = pool.OrderBy(_ => random.Next()).Take(count).Order().Select(i => train[i]).ToList();
        return (CellRunner.Prepare(chosen, cell, CellRunner.TextRoom(cell, model)), $"{chosen.Count} {source}");
    }

    /// <summary>Sets each update tensor to θ_trained + (τ̃ − τ), i.e. θ_init + τ̃; exactly θ_trained where τ̃ = τ.</summary>
    public void SetUpdate(IReadOnlyDictionary<string, Tensor> compressed)
    {
        using var _ = no_grad();
        foreach (var u in Update)
        {
            using var scope = NewDisposeScope();
            u.Live.copy_(u.Trained + (compressed[u.Name].view_as(u.Tau) - u.Tau));
        }
    }

    /// <summary>Puts the trained update back.</summary>
    public void Restore()
    {
        using var _ = no_grad();
        foreach (var u in Update) u.Live.copy_(u.Trained);
    }

    /// <summary>The task's metrics and score on its evaluation splits, exactly as the cell runner computed them.</summary>
    public (Dictionary<string, double> Metrics, double? Score) Evaluate() => Evaluate(Model, Cell, Splits, Device);

    public static (Dictionary<string, double> Metrics, double? Score) Evaluate(SequenceClassifier model, PlannedCell cell,
        IReadOnlyDictionary<string, IEncodedSplit> splits, Device device)
    {
        var recipe = cell.Profile.Recipe;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var split in cell.Task.Metrics.Select(m => m.Split).Distinct())
        {
            var predictions = Evaluator.Predict(model, splits[split], recipe.MaxEvalExamples, recipe.EvalBatchSize, cell.Task.Head.IsRegression, device);
            var gold = splits[split].Labels.Take(predictions.Values.Length).ToList();
            foreach (var metric in cell.Task.Metrics.Where(m => m.Split == split))
                metrics[metric.Name] = metric.Compute(predictions.Values, gold);
        }
        return (metrics, cell.Task.ScoreOf(metrics));
    }

    /// <summary>The primary metric on the selection rows.</summary>
    public double SelectionScore() => SelectionScore(Model, Cell, Selection, Device);

    public static double SelectionScore(SequenceClassifier model, PlannedCell cell, IEncodedSplit selection, Device device)
    {
        var predictions = Evaluator.Predict(model, selection, 0, cell.Profile.Recipe.EvalBatchSize, cell.Task.Head.IsRegression, device);
        return cell.Task.Primary.Compute(predictions.Values, selection.Labels.ToList());
    }

    /// <summary>The head's tensors (each task keeps its own head when updates are merged).</summary>
    public IReadOnlyDictionary<string, Tensor> HeadState() =>
        Model.Head.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone(), StringComparer.Ordinal);

    /// <summary>
    /// The update as a change of the backbone's own tensors, ΔW = W_merged − W₀ for every tensor it changes: the method
    /// is merged into the weights (then unmerged again), so LoRA's ΔW = (α/r)·BA, (IA)³'s W₀·diag(l − 1), full
    /// fine-tuning's W − W₀. Task vectors of several tasks add in this space, not in the factors' (Σ BᵢAᵢ ≠ ΣBᵢ·ΣAᵢ).
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> WeightDeltas()
    {
        var biasFree = Model.Sites.Linears.Where(l => l.bias is null && l.Adapters.Any(a => a.CanMerge && HasBiasDelta(a, l))).Select(l => l.Path).ToList();
        if (biasFree.Count > 0)
            throw new NotSupportedException($"{Cell.Method.Id} changes the bias of bias-free projections ({biasFree[0]} …), which a plain backbone cannot hold; its update is not a set of tensors added to the weights here.");
        if (!Model.TryMerge()) throw new NotSupportedException($"{Cell.Method.Id} did not merge into the weights on {Cell.Model.Id}.");
        try
        {
            using var pretrained = Cell.Model.CreateBackbone(Device);
            var original = pretrained.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
            var deltas = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            using var _ = no_grad();
            foreach (var (name, p) in Model.Backbone.named_parameters())
            {
                if (!original.TryGetValue(name, out var w0)) continue;
                using (var changed = p.ne(w0).any())
                    if (!changed.item<bool>()) continue;
                deltas[name] = (p - w0).detach();
            }
            return deltas;
        }
        finally
        {
            Model.Unmerge();
        }
    }

    private static bool HasBiasDelta(Core.Sites.LinearAdapter adapter, Core.Sites.AdaptableLinear host)
    {
        using var delta = adapter.DeltaBias(host);
        return delta is not null;
    }

    public void Dispose()
    {
        foreach (var u in Update)
        {
            u.Trained.Dispose();
            u.Reference.Dispose();
            u.Tau.Dispose();
        }
        Model.Dispose();
    }
}
