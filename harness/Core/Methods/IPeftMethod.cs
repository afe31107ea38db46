using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Core.Methods;

/// <summary>The setting budget fitting turns (rank, bottleneck width, prompt length …) and its range.</summary>
public sealed record Knob(string Name, int Min, int Max);

/// <summary>
/// What a method needs at attach time: the device, a generator seeded from the cell seed and, where the runner
/// has training data, a <see cref="CalibrationSource"/> (null in contexts without data).
/// </summary>
public sealed record MethodContext(Device Device, Generator Generator)
{
    public CalibrationSource? Calibration { get; init; }

    /// <summary>The calibration examples with their labels (null in contexts without data); only methods that call it pay for it.</summary>
    public LabelledCalibrationSource? LabelledCalibration { get; init; }

    /// <summary>
    /// U[0, 1) of <paramref name="shape"/> on <see cref="Device"/>, drawn from the cell's CPU generator and then moved:
    /// the same numbers on every device, and no device-type mismatch between a CPU generator and a CUDA tensor.
    /// </summary>
    public Tensor Rand(params long[] shape) => rand(shape, generator: Generator).to(Device);

    /// <summary>N(0, 1) of <paramref name="shape"/> on <see cref="Device"/>, drawn as <see cref="Rand"/> is.</summary>
    public Tensor Randn(params long[] shape) => randn(shape, generator: Generator).to(Device);
}

/// <summary>
/// A parameter-efficient fine-tuning method: one file + one catalog line. It freezes what it does not train,
/// attaches its modules to adapter sites, reports its trainable count without building anything (so budgets
/// can be fitted before training), and cites the paper whose equation it implements.
/// </summary>
public interface IPeftMethod
{
    /// <summary>Stable lowercase id (<c>lora</c>); never renamed.</summary>
    string Id { get; }
    /// <summary>Bumped whenever behaviour changes; part of every cell key.</summary>
    int Version { get; }
    /// <summary>Family for grouping and plot colours: baseline, selective, low-rank, orthogonal, adapter, prompt, scaling, hybrid, mixture, quantization, zeroth-order.</summary>
    string Family { get; }
    /// <summary>Paper and equation implemented, one line.</summary>
    string Citation { get; }
    string Description { get; }
    MethodConfig DefaultConfig { get; }
    /// <summary>Null for methods whose trainable count is fixed by the backbone (full FT, BitFit, linear probe).</summary>
    Knob? Knob { get; }
    /// <summary>True when the model's output is unchanged at initialisation (zero-initialised updates).</summary>
    bool PreservesOutputAtInit { get; }
    /// <summary>True when the trained update folds into the base weights.</summary>
    bool CanMerge { get; }

    MethodConfig WithKnob(MethodConfig config, int value);
    int KnobValue(MethodConfig config);

    /// <summary>
    /// The knob's range on a given model: <see cref="Knob"/> narrowed where the model bounds it (a soft prompt
    /// must leave room for the text in the model's positions). Budget fitting searches this range.
    /// </summary>
    Knob? KnobFor(SiteRegistry sites, MethodConfig config) => Knob;

    /// <summary>
    /// Why this method cannot apply to this backbone at all, whatever its settings (BitFit on a bias-free LLaMA, a
    /// visual prompt on a text encoder, a prefix without attention); null when it applies. A run records such cells
    /// as not applicable with this reason and goes on; <see cref="Validate"/> is for settings that can be fixed.
    /// </summary>
    string? NotApplicableReason(SiteRegistry sites) => null;

    /// <summary>Problems with <paramref name="config"/> for this model, before anything is built.</summary>
    IEnumerable<string> Validate(MethodConfig config, SiteRegistry sites);

    /// <summary>
    /// <paramref name="config"/> with what it leaves to the model made explicit (a bottleneck given as d / reduction_factor
    /// becomes its width on this model), so that a cell's config, key, label and recorded knob value say what was built.
    /// The same config unchanged by default; called on a valid config.
    /// </summary>
    MethodConfig Resolve(SiteRegistry sites, MethodConfig config) => config;

    /// <summary>Parameters the method trains (adapter + unfrozen backbone), head excluded, from the sites alone.</summary>
    long CountTrainable(SiteRegistry sites, MethodConfig config);

    /// <summary>Freezes the backbone as the method requires and attaches its modules. The head stays trainable.</summary>
    MethodAttachment Apply(SequenceClassifier model, MethodConfig config, MethodContext context);
}

/// <summary>
/// What an applied method contributes to training beyond its parameters: learning-rate groups, auxiliary
/// losses and per-step hooks (AdaLoRA's rank schedule, IncreLoRA's growth …). The default trains every
/// parameter that requires grad at the config's learning rate.
/// </summary>
public class MethodAttachment
{
    public MethodAttachment(MethodConfig config) { Config = config; }

    public MethodConfig Config { get; }

    public virtual IEnumerable<(string Group, IReadOnlyList<Parameter> Parameters, double LearningRate)> ParameterGroups(SequenceClassifier model)
    {
        yield return ("all", model.parameters().Where(p => p.requires_grad).ToList(), Config.LearningRate);
    }

    /// <summary>
    /// Parameters the method stores for inference, head excluded, where they differ from what it trains (the counting
    /// policy's training-time vs saved split): a reparameterisation (prefix tuning's MLP, P-tuning's prompt encoder)
    /// trains more than it saves, which is its output. Null (the default) when the saved tensors are the trained ones.
    /// </summary>
    public virtual long? SavedParameters(SequenceClassifier model) => null;

    /// <summary>A term added to the task loss (orthogonality, load balancing); null for none.</summary>
    public virtual Tensor? AuxiliaryLoss() => null;

    public virtual void AfterOptimizerStep(int step, int totalSteps) { }

    /// <summary>
    /// The optimizer the trainer built from <see cref="ParameterGroups"/>, once, before the first step: for methods that
    /// must reset or seed its state when they change what trains (LISA's layer switches, SpIEL's regrown indices).
    /// Ignored by default.
    /// </summary>
    public virtual void OptimizerCreated(optim.Optimizer optimizer) { }

    /// <summary>
    /// What the method decided during training that the config does not say: the ranks it allocated per site
    /// (AdaLoRA, IncreLoRA, TriAdaptLoRA). Stored in the cell result; null (the default) for methods whose
    /// shape is fixed by the config, so their result files stay as they were.
    /// </summary>
    public virtual RankAllocationReport? Report() => null;
}

/// <summary>
/// Implemented by the attachment of a method that trains without gradients (MeZO, Sparse-MeZO). The trainer then calls
/// <see cref="Step"/> once per batch instead of zero_grad → backward → clip → AdamW: it builds no optimizer (no moment
/// buffers), runs every forward pass under no_grad (no autograd graph, no .grad tensors) and with dropout off (the
/// paired evaluations of one step must see the same function, as MeZO's zo_forward), and keeps its schedule, timing,
/// history and divergence check as for every other method.
/// </summary>
public interface IZerothOrderStep
{
    /// <summary>
    /// One optimisation step of <paramref name="parameters"/> (every parameter that requires grad, head included).
    /// <paramref name="loss"/> evaluates the training loss of this step's batch at the parameters' current values (as
    /// often as the method needs); <paramref name="learningRate"/> is the scheduled rate of this step. Returns the loss
    /// to record for the step; a non-finite value stops the cell as diverged (the parameters must then be left as they were).
    /// </summary>
    double Step(IReadOnlyList<Parameter> parameters, Func<double> loss, double learningRate, double weightDecay, int step);
}

/// <summary>
/// Ranks a rank-adaptive method ended with. <paramref name="AllocatedParameters"/>: the parameters of the ranks in
/// use (what a resized adapter would hold); <paramref name="HeldParameters"/>: the trainable elements kept in
/// memory during training (the reported trainable count: AdaLoRA's init_r triplets, a growth pool);
/// <paramref name="Ranks"/>: rank per adapted site, by Hugging Face module path.
/// </summary>
public sealed record RankAllocationReport(long AllocatedParameters, long HeldParameters, IReadOnlyDictionary<string, int> Ranks);

/// <summary>Typed base so that each method file works with its own config record.</summary>
public abstract class PeftMethod<TConfig> : IPeftMethod where TConfig : MethodConfig
{
    public abstract string Id { get; }
    public abstract int Version { get; }
    public abstract string Family { get; }
    public abstract string Citation { get; }
    public abstract string Description { get; }
    public abstract TConfig Defaults { get; }
    public MethodConfig DefaultConfig => Defaults;
    public virtual Knob? Knob => null;
    public abstract bool PreservesOutputAtInit { get; }
    public virtual bool CanMerge => false;

    public virtual string? NotApplicableReason(SiteRegistry sites) => null;
    public MethodConfig WithKnob(MethodConfig config, int value) => WithKnob(Cast(config), value);
    public int KnobValue(MethodConfig config) => KnobValue(Cast(config));
    public Knob? KnobFor(SiteRegistry sites, MethodConfig config) => KnobFor(sites, Cast(config));
    public IEnumerable<string> Validate(MethodConfig config, SiteRegistry sites) =>
        config is TConfig typed ? typed.Validate().Concat(Validate(typed, sites))
            : new[] { $"{Id}: expected a {typeof(TConfig).Name}, got {config.GetType().Name}." };
    public MethodConfig Resolve(SiteRegistry sites, MethodConfig config) => Resolve(sites, Cast(config));
    public long CountTrainable(SiteRegistry sites, MethodConfig config) => CountTrainable(sites, Cast(config));
    /// <summary>Refuses an invalid config rather than attaching nothing (e.g. a LoRA target that matches no layer).</summary>
    public MethodAttachment Apply(SequenceClassifier model, MethodConfig config, MethodContext context)
    {
        if (NotApplicableReason(model.Sites) is { } reason) throw new ArgumentException($"{Id}: not applicable: {reason}");
        var problems = Validate(config, model.Sites).ToList();
        if (problems.Count > 0) throw new ArgumentException($"{Id}: invalid configuration: {string.Join(" ", problems)}");
        return Apply(model, Cast(config), context);
    }

    protected virtual TConfig WithKnob(TConfig config, int value) =>
        throw new NotSupportedException($"{Id} has no knob to fit a budget with.");
    protected virtual int KnobValue(TConfig config) => 0;
    protected virtual Knob? KnobFor(SiteRegistry sites, TConfig config) => Knob;
    protected virtual IEnumerable<string> Validate(TConfig config, SiteRegistry sites) => Array.Empty<string>();
    protected virtual TConfig Resolve(SiteRegistry sites, TConfig config) => config;
    protected abstract long CountTrainable(SiteRegistry sites, TConfig config);
    protected abstract MethodAttachment Apply(SequenceClassifier model, TConfig config, MethodContext context);

    private TConfig Cast(MethodConfig config) => config as TConfig
        ?? throw new ArgumentException($"{Id}: expected a {typeof(TConfig).Name}, got {config.GetType().Name}.");
}
