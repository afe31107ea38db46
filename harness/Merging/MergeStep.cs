using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Tasks;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Probes;
using PeftBench.Harness.Running;
using PeftBench.Reports;
using PeftBench.Reports.Merging;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Harness.Merging;

/// <summary>The run cannot be merged at all (no saved adapters, nothing usable); the message says how to fix it.</summary>
public sealed class MergeException(string message) : Exception(message);

/// <summary>
/// The post-hoc step over a finished run's saved adapters (<c>merge RUN</c>):
/// <list type="bullet">
/// <item><b>compeft</b> (Yadav et al., "ComPEFT: Compression for Communicating Parameter Efficient Updates via
/// Sparsification and Quantization", arXiv 2311.13171), per cell, in the method's own parameters (ComPEFT compresses
/// the PEFT parameters themselves, not the dense ΔW): keep the top-k of |τ| (density k/n), ternarise
/// τ̃ = α·σ(τ)·sign(τ) ⊙ mask with σ the standard deviation of τ, α chosen on selection rows from a grid, and
/// θ = θ_init + τ̃. Density 1 is the update uncompressed (the released code returns before compressing at k = 100).</item>
/// <item><b>breadcrumbs</b> (Davari &amp; Belilovsky, "Model Breadcrumbs", ECCV 2024): per tensor, mask out the largest γ
/// of |τ| (outliers) and all but the next density·n (small perturbations); one cell: θ = θ_init + λ·m⊙τ; tasks of the
/// same model, method and seed: θ = θ₀ + λ·Σₜ mₜ⊙ΔWₜ in weight space, evaluated with each task's own head.</item>
/// <item><b>task-arithmetic</b> (Ilharco et al., "Editing Models with Task Arithmetic", ICLR 2023): θ = θ₀ + λ·Σₜ ΔWₜ
/// over those tasks, λ chosen on the tasks' selection rows (mean primary metric), then each task scored with its head.</item>
/// </list>
/// Scales are chosen on training rows (held out from the cell's training where the recipe left some), never on the
/// evaluation split the scores are reported on; ties go to the scale nearest 1. Deterministic for a fixed thread count.
/// </summary>
public sealed class MergeStep(Composition composition, Action<string> log)
{
    // The runner only rebuilds models and encodes data here; it measures nothing.
    private readonly CellRunner runner = new(new ProcessHighWaterMarkProbe());

    public MergeReport Run(string runDirectory, MergeOptions options)
    {
        var adapters = Path.Combine(runDirectory, "adapters");
        if (!Directory.Exists(adapters))
            throw new MergeException($"'{runDirectory}' has no saved adapters (no adapters/ folder): re-run the same command with --save-adapters (finished cells are not retrained unless their result files are removed or --force is given).");
        var results = ResultJson.ReadFolder(runDirectory);
        var data = new DataOptions(options.DataDir is null ? null : Path.GetFullPath(options.DataDir));
        var report = new MergeReport { Run = Path.GetFileName(Path.GetFullPath(runDirectory).TrimEnd(Path.DirectorySeparatorChar)), Settings = options.ToJson() };
        var members = new List<MergeMember>();
        var single = options.Ops.Where(o => o is MergeOps.Compeft or MergeOps.Breadcrumbs).ToList();
        var merging = options.Ops.Any(o => o is MergeOps.TaskArithmetic or MergeOps.Breadcrumbs);

        foreach (var result in results.Where(r => r.IsOk && composition.Methods.Contains(r.Cell.Method)))
        {
            if (options.Methods.Count > 0 && !options.Methods.Contains(result.Cell.Method)) continue;
            void Skip(string reason)
            {
                report.Skipped.Add(new SkippedCell(result.Key, result.Cell.Task, result.Cell.Method, reason));
                log($"skipped {result.Cell.Task} · {result.Cell.Method} ({result.Key}): {reason}");
            }
            var directory = Path.Combine(adapters, result.Key);
            if (!Directory.Exists(directory)) { Skip("no saved adapter (the cell ran without --save-adapters)"); continue; }
            // One cell that cannot be rebuilt or loaded (another build, a damaged folder) is reported; the others go on.
            PlannedCell cell;
            try { cell = Rebuild(result, data, options.Device); }
            catch (Exception e) when (e is not OutOfMemoryException) { Skip(e.Message); continue; }

            TrainedCell trained;
            try { trained = TrainedCell.Load(result, cell, directory, runner, options.SelectionExamples); }
            catch (Exception e) when (e is not OutOfMemoryException) { Skip(e.Message); continue; }
            using (trained)
            {
                log($"{cell.Label}: {trained.UpdateElements:N0} update entries");
                var reloaded = trained.Evaluate().Score;
                report.ReloadedScores[result.Key] = reloaded;
                if (reloaded != result.TaskScore)
                    log($"  note: the reloaded adapter scores {reloaded} where the cell recorded {result.TaskScore} (another thread count or build?)");
                foreach (var op in single)
                    report.Rows.AddRange(Compress(trained, op, options));
                if (merging)
                {
                    try { members.Add(MergeMember.From(trained)); }
                    catch (NotSupportedException e) { Skip($"not merged with other tasks: {e.Message}"); }
                }
            }
        }

        foreach (var group in members.GroupBy(m => m.GroupKey).Where(g => g.Select(m => m.Cell.Task.Id).Distinct().Count() >= 2))
        {
            var tasks = group.OrderBy(m => m.Cell.Task.Id, StringComparer.Ordinal).ToList();
            log($"merging {string.Join(" + ", tasks.Select(t => t.Cell.Task.Id))} · {tasks[0].Cell.Method.Id} · seed {tasks[0].Cell.Seed}");
            if (options.Ops.Contains(MergeOps.TaskArithmetic))
                report.Rows.AddRange(Merge(tasks, MergeOps.TaskArithmetic, null, options));
            if (options.Ops.Contains(MergeOps.Breadcrumbs))
                foreach (var density in options.Densities.Where(d => d < 1))
                    report.Rows.AddRange(Merge(tasks, MergeOps.Breadcrumbs, density, options));
        }
        foreach (var m in members) m.Dispose();
        if (report.Rows.Count == 0 && report.Skipped.Count == 0)
            throw new MergeException($"'{runDirectory}' has no finished cells of registered methods to work on.");
        return report;
    }

    /// <summary>The cell as planned, from its result file; its key is recomputed and must match (same data, model, recipe and versions).</summary>
    private PlannedCell Rebuild(CellResult result, DataOptions data, string? device)
    {
        var spec = result.Cell;
        var task = composition.Tasks.Get(spec.Task);
        var method = composition.Methods.Get(spec.Method);
        var model = composition.OpenModel(spec.Model);
        var profile = Profiles.Find(spec.Profile) ?? throw new InvalidDataException($"profile '{spec.Profile}' is not defined in this build.");
        var precision = Precision.Find(spec.Precision) ?? throw new InvalidDataException($"precision '{spec.Precision}' is not defined in this build.");
        var config = MethodConfig.FromCanonicalJson(method.DefaultConfig.GetType(), (spec.Config ?? new()).ToJsonString());
        if (task.IsGeneration)
            throw new InvalidDataException($"{task.Id} is a generation task: the merge step scores merged classifiers, and merging generation cells is not supported yet");
        var augment = spec.Recipe?["input"]?["augment"]?.GetValue<bool>() ?? false;
        var identity = Planner.CellIdentity(task, data, model, method, config, spec.Budget, spec.Seed, profile, spec.Device, spec.Threads, precision, augment);
        var key = CellKey.Compute(identity);
        if (key != result.Key)
            throw new InvalidDataException($"rebuilt, the cell has key {key}, not {result.Key}: it ran on other data (pass the run's --data-dir), or its task, method, model weights or profile changed since");
        return new PlannedCell(key, task, model, method, config, null, spec.Seed, profile, spec.Device, spec.Threads, data, precision, identity)
            { RunsOn = device ?? spec.Device, Augment = augment };
    }

    /// <summary>One op on one cell, at every density: the compressed update's score at the scale the selection rows prefer.</summary>
    private IEnumerable<MergeRow> Compress(TrainedCell cell, string op, MergeOptions options)
    {
        var originalBytes = cell.UpdateElements * 4;
        var scaleName = op == MergeOps.Compeft ? "alpha" : "lambda";
        foreach (var density in options.Densities)
        {
            if (density >= 1)
            {
                // No compression: the update as trained (ComPEFT's code returns before compressing at k = 100).
                yield return Row(cell, op, "compress", "parameters", density, scaleName, 1, null, cell.Evaluate(), originalBytes, originalBytes, cell.UpdateElements);
                continue;
            }
            var (bases, bits) = op == MergeOps.Compeft ? Ternary(cell, density, options.CompeftScope) : Breadcrumbs(cell, density, options.OutlierFraction);
            try
            {
                var grid = op == MergeOps.Compeft ? options.Alphas : options.Lambdas;
                var (scale, selection) = Choose(grid, s =>
                {
                    SetScaled(cell, bases, s);
                    return cell.SelectionScore();
                });
                SetScaled(cell, bases, scale);
                var evaluation = cell.Evaluate();
                cell.Restore();
                var stored = bases.Values.Sum(b => { using var nz = b.count_nonzero(); return nz.item<long>(); });
                log($"  {op} density {density}: {scaleName} {scale}, score {evaluation.Score:0.0000} (cell {cell.Result.TaskScore:0.0000}), {SparseUpdate.Bytes(bits):N0} of {originalBytes:N0} bytes");
                yield return Row(cell, op, "compress", "parameters", density, scaleName, scale, selection, evaluation, SparseUpdate.Bytes(bits), originalBytes, stored);
            }
            finally
            {
                foreach (var b in bases.Values) b.Dispose();
            }
        }
    }

    /// <summary>ComPEFT's σ·sign(τ)⊙top-k per update tensor (α applied later), and the stored bits.</summary>
    private static (Dictionary<string, Tensor>, long) Ternary(TrainedCell cell, double density, string scope)
    {
        using var _ = no_grad();
        var bases = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (scope == "tensor")
        {
            long bits = 0;
            foreach (var u in cell.Update)
            {
                using var flat = u.Tau.flatten();
                using var mask = SparseUpdate.TopMagnitudeMask(flat, density);
                var b = SparseUpdate.TernaryBase(flat, mask);
                bits += SparseUpdate.TernaryBlockBits(SparseUpdate.Positions(b), flat.numel());
                bases[u.Name] = b;
            }
            return (bases, bits);
        }
        // One vector over the whole update, as the released code flattens every PEFT parameter (state_dict_to_vector).
        using var temporaries = NewDisposeScope();
        var all = cat(cell.Update.Select(u => u.Tau.flatten()).ToArray());
        var ternary = SparseUpdate.TernaryBase(all, SparseUpdate.TopMagnitudeMask(all, density));
        long offset = 0;
        foreach (var u in cell.Update)
        {
            bases[u.Name] = ternary.narrow(0, offset, u.Tau.numel()).clone().MoveToOuterDisposeScope();
            offset += u.Tau.numel();
        }
        return (bases, SparseUpdate.TernaryBlockBits(SparseUpdate.Positions(ternary), all.numel()));
    }

    /// <summary>Breadcrumbs' m⊙τ per update tensor (λ applied later), and the stored bits.</summary>
    private static (Dictionary<string, Tensor>, long) Breadcrumbs(TrainedCell cell, double density, double outliers)
    {
        using var _ = no_grad();
        var bases = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        long bits = 0;
        foreach (var u in cell.Update)
        {
            var (masked, tensorBits) = MaskTensor(u.Tau, density, outliers);
            bases[u.Name] = masked;
            bits += tensorBits;
        }
        return (bases, bits);
    }

    public static (Tensor Masked, long Bits) MaskTensor(Tensor tau, double density, double outliers)
    {
        using var flat = tau.flatten();
        using var mask = SparseUpdate.BreadcrumbsMask(flat, density, outliers);
        var masked = (flat * mask).view_as(tau);
        return (masked, SparseUpdate.ValueBlockBits(SparseUpdate.Positions(masked.flatten()), flat.numel()));
    }

    /// <summary>Sets the cell's update to scale × the compressed bases.</summary>
    private static void SetScaled(TrainedCell cell, IReadOnlyDictionary<string, Tensor> bases, double scale)
    {
        using var scope = NewDisposeScope();
        cell.SetUpdate(bases.ToDictionary(kv => kv.Key, kv => kv.Value * scale, StringComparer.Ordinal));
    }

    /// <summary>The grid value with the best selection score; ties go to the value nearest 1, then the smaller.</summary>
    public static (double Scale, double Selection) Choose(IReadOnlyList<double> grid, Func<double, double> score)
    {
        var scored = grid.Select(s => (Scale: s, Selection: score(s))).ToList();
        var best = scored.OrderByDescending(x => double.IsNaN(x.Selection) ? double.NegativeInfinity : x.Selection)
            .ThenBy(x => Math.Abs(x.Scale - 1)).ThenBy(x => x.Scale).First();
        return best;
    }

    /// <summary>
    /// Σₜ mask(ΔWₜ) by tensor name (a tensor only some tasks change is summed over those): the task vector sum of task
    /// arithmetic (no mask) and of Breadcrumbs (its mask). The caller owns the result.
    /// </summary>
    public static Dictionary<string, Tensor> SumDeltas(IEnumerable<IReadOnlyDictionary<string, Tensor>> deltas, Func<Tensor, Tensor>? mask)
    {
        using var _ = no_grad();
        var sum = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var taskDeltas in deltas)
        foreach (var (name, delta) in taskDeltas)
        {
            var term = mask is null ? delta.clone() : mask(delta);
            if (sum.TryGetValue(name, out var acc)) { acc.add_(term); term.Dispose(); }
            else sum[name] = term;
        }
        return sum;
    }

    /// <summary>θ = θ₀ + λ·Σ (Ilharco et al., eq. 1 with one λ for the sum).</summary>
    public static Tensor ApplyTaskVector(Tensor pretrained, Tensor sum, double lambda) => pretrained + sum * lambda;

    private static MergeRow Row(TrainedCell cell, string op, string mode, string space, double? density, string scaleName, double scale,
        double? selection, (Dictionary<string, double> Metrics, double? Score) evaluation, long storedBytes, long originalBytes, long storedValues) => new()
    {
        Op = op, Mode = mode, Space = space, Task = cell.Cell.Task.Id, Model = cell.Result.Cell.Model, Method = cell.Cell.Method.Id,
        Seed = cell.Cell.Seed, Budget = cell.Result.Cell.Budget, CellKey = cell.Result.Key, Density = density, ScaleName = scaleName,
        Scale = scale, SelectionScore = selection, Metrics = evaluation.Metrics, Score = evaluation.Score, OriginalScore = cell.Result.TaskScore,
        StoredBytes = storedBytes, OriginalBytes = originalBytes, HeadBytes = cell.HeadBytes, StoredValues = storedValues,
        UpdateElements = cell.UpdateElements,
    };

    /// <summary>
    /// Task arithmetic (density null) or Breadcrumbs' merge at one density over one group: θ = θ₀ + λ·Σₜ (mₜ⊙)ΔWₜ, λ
    /// chosen on the mean selection score of the tasks, then every task scored with its own head.
    /// </summary>
    private IEnumerable<MergeRow> Merge(IReadOnlyList<MergeMember> tasks, string op, double? density, MergeOptions options)
    {
        var sum = SumDeltas(tasks.Select(m => m.Deltas), density is { } kept ? t => MaskTensor(t, kept, options.OutlierFraction).Masked : null);
        var models = tasks.Select(m => m.CreateMergedModel(sum.Keys)).ToList();
        try
        {
            void SetLambda(double lambda)
            {
                foreach (var model in models) model.Set(sum, lambda);
            }
            var (lambda, selection) = Choose(options.Lambdas, l =>
            {
                SetLambda(l);
                return models.Average(m => m.SelectionScore());
            });
            SetLambda(lambda);
            long bits = sum.Values.Sum(t => { using var flat = t.flatten(); return SparseUpdate.ValueBlockBits(SparseUpdate.Positions(flat), flat.numel()); });
            var stored = sum.Values.Sum(t => { using var nz = t.count_nonzero(); return nz.item<long>(); });
            var original = tasks.Sum(t => t.UpdateBytes);
            var elements = sum.Values.Sum(t => t.numel());
            foreach (var model in models)
            {
                var member = model.Member;
                var evaluation = model.Evaluate();
                log($"  {op}{(density is { } d ? $" density {d}" : "")} λ {lambda}: {member.Cell.Task.Id} {evaluation.Score:0.0000} (alone {member.Result.TaskScore:0.0000})");
                yield return new MergeRow
                {
                    Op = op, Mode = "merge", Space = "weights", Task = member.Cell.Task.Id, Model = member.Result.Cell.Model,
                    Method = member.Cell.Method.Id, Seed = member.Cell.Seed, Budget = member.Result.Cell.Budget, CellKey = member.Result.Key,
                    MergedTasks = tasks.Select(t => t.Cell.Task.Id).ToList(), Density = density, ScaleName = "lambda", Scale = lambda,
                    SelectionScore = selection, Metrics = evaluation.Metrics, Score = evaluation.Score, OriginalScore = member.Result.TaskScore,
                    StoredBytes = SparseUpdate.Bytes(bits), OriginalBytes = original, HeadBytes = member.HeadBytes, StoredValues = stored,
                    UpdateElements = elements,
                };
            }
        }
        finally
        {
            foreach (var model in models) model.Dispose();
            foreach (var t in sum.Values) t.Dispose();
        }
    }
}

/// <summary>What a cell contributes to a merge: its weight-space update, its head and its data, kept after its model is gone.</summary>
internal sealed class MergeMember : IDisposable
{
    public required CellResult Result { get; init; }
    public required PlannedCell Cell { get; init; }
    public required IReadOnlyDictionary<string, Tensor> Deltas { get; init; }
    public required IReadOnlyDictionary<string, Tensor> Head { get; init; }
    public required IReadOnlyDictionary<string, IEncodedSplit> Splits { get; init; }
    public required IEncodedSplit Selection { get; init; }
    public required Device Device { get; init; }
    public long UpdateBytes { get; init; }
    public long HeadBytes { get; init; }

    /// <summary>Cells whose updates add: same model and weights, method and resolved config, budget, seed, profile, precision.</summary>
    public string GroupKey => string.Join('|', Result.Cell.Model, Result.Cell.ModelSha256, Cell.Method.Id, Cell.Config.ToCanonicalJson(),
        Result.Cell.Budget, Cell.Seed, Cell.Profile.Id, Cell.Precision.Id);

    public static MergeMember From(TrainedCell cell) => new()
    {
        Result = cell.Result, Cell = cell.Cell, Deltas = cell.WeightDeltas(), Head = cell.HeadState(), Splits = cell.Splits,
        Selection = cell.Selection, Device = cell.Device, UpdateBytes = cell.UpdateElements * 4, HeadBytes = cell.HeadBytes,
    };

    /// <summary>The pretrained backbone with this task's head, ready to take θ₀ + λ·Σ on the tensors named.</summary>
    public MergedModel CreateMergedModel(IEnumerable<string> changed)
    {
        torch.set_num_threads(Cell.Threads);
        var model = new SequenceClassifier(Cell.Model.CreateBackbone(Device), Cell.Task.Head.Outputs, Cell.Model.HeadDropout, Device);
        Cell.Precision.ApplyTo(model);
        using (no_grad())
            foreach (var (name, p) in model.Head.named_parameters()) p.copy_(Head[name]);
        return new MergedModel(this, model, changed);
    }

    public void Dispose()
    {
        foreach (var t in Deltas.Values) t.Dispose();
        foreach (var t in Head.Values) t.Dispose();
    }
}

/// <summary>One task's model in a merge: θ₀ kept for the changed tensors, set to θ₀ + λ·Σ on demand.</summary>
internal sealed class MergedModel : IDisposable
{
    private readonly SequenceClassifier model;
    private readonly Dictionary<string, (Tensor Live, Tensor Pretrained)> tensors;

    public MergeMember Member { get; }

    public MergedModel(MergeMember member, SequenceClassifier model, IEnumerable<string> changed)
    {
        Member = member;
        this.model = model;
        var live = model.Backbone.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
        tensors = changed.ToDictionary(n => n, n => (live[n], live[n].detach().clone()), StringComparer.Ordinal);
    }

    public void Set(IReadOnlyDictionary<string, Tensor> sum, double lambda)
    {
        using var _ = no_grad();
        foreach (var (name, (live, pretrained)) in tensors)
        {
            using var scope = NewDisposeScope();
            live.copy_(MergeStep.ApplyTaskVector(pretrained, sum[name], lambda));
        }
    }

    public double SelectionScore() => TrainedCell.SelectionScore(model, Member.Cell, Member.Selection, Member.Device);

    public (Dictionary<string, double> Metrics, double? Score) Evaluate() => TrainedCell.Evaluate(model, Member.Cell, Member.Splits, Member.Device);

    public void Dispose()
    {
        foreach (var (_, pretrained) in tensors.Values) pretrained.Dispose();
        model.Dispose();
    }
}
