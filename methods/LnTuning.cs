// LN-tuning — Qi, Zhang, Zhou et al., "Parameter-Efficient Tuning on Layer Normalization for Pre-trained Language
// Models" (arXiv 2211.08682, 2022); huggingface/peft's LN_TUNING (which cites Zhao et al., arXiv 2312.11420, 2023).
// Update: only the normalisation layers change. For every LayerNorm y = γ ⊙ (x − μ)/σ + β (RMSNorm: y = γ ⊙ x/rms(x))
// the gain γ and bias β train; everything else stays frozen. Trainable: Σ over norms 2d (LayerNorm) or d (RMSNorm).
// The norms train in place (they count as "other", unfrozen backbone weights), so there is nothing to merge. peft
// trains a copy of each norm instead and saves it as <norm>.ln_tuning_layers.{weight,bias}; adapter folders use that
// layout, so peft loads ours and we load peft's.

using System.Text.Json.Nodes;
using PeftBench.Core.Catalogs;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Methods;

/// <summary>
/// LN-tuning settings: which norms train, as names (<c>LayerNorm</c>, <c>ln_1</c>), full paths or globs over paths;
/// <c>*</c> (the default) is every norm of the backbone, as peft's default targets for the families it maps.
/// </summary>
public sealed record LnTuningConfig : MethodConfig
{
    public LnTuningConfig() => LearningRate = 1e-3;

    public IReadOnlyList<string> Targets { get; init; } = new[] { "*" };

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (Targets.Count == 0 || Targets.All(string.IsNullOrWhiteSpace)) yield return "targets must name at least one norm.";
    }

    // Targets is a list, so the compiler's record equality would compare references: compare elements instead.
    public bool Equals(LnTuningConfig? other) =>
        other is not null && base.Equals(other) && Targets.SequenceEqual(other.Targets, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        foreach (var t in Targets) hash.Add(t, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

/// <summary>Unfreezes the gain and bias of the targeted normalisation layers; peft's LN_TUNING layout.</summary>
public sealed class LnTuning : PeftMethod<LnTuningConfig>, IPeftCheckpointMethod
{
    /// <summary>peft's name for the trained copy of a norm, under the norm's path.</summary>
    public const string PeftLayerName = "ln_tuning_layers";

    public override string Id => "ln-tuning";
    public override int Version => 1;
    public override string Family => "selective";
    public override string Citation => "Qi et al., 2022 (LN-tuning; peft LN_TUNING): train only γ and β of every LayerNorm y = γ ⊙ x̂ + β.";
    public override string Description => "Unfreezes only the gain and bias of every LayerNorm (RMSNorm: gain) of the backbone.";
    public override LnTuningConfig Defaults => new();
    public override bool PreservesOutputAtInit => true;

    protected override IEnumerable<string> Validate(LnTuningConfig config, SiteRegistry sites)
    {
        if (sites.Norms.Count == 0)
        {
            yield return $"{Id}: the backbone has no normalisation layers.";
            yield break;
        }
        foreach (var target in config.Targets.Where(t => !string.IsNullOrWhiteSpace(t) && Select(sites, [t]).Count == 0))
            yield return $"{Id}: target '{target}' matches no norm. Norm names: {string.Join(", ", sites.Norms.Select(n => LastName(n.Path)).Distinct())}; " +
                         $"or a glob over paths such as '{sites.Norms[0].Path}'.";
    }

    protected override long CountTrainable(SiteRegistry sites, LnTuningConfig config) =>
        Select(sites, config.Targets).Sum(n => n.Module.parameters().Sum(p => p.numel()));

    protected override MethodAttachment Apply(SequenceClassifier model, LnTuningConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var (_, norm) in Select(model.Sites, config.Targets))
            foreach (var p in norm.parameters()) p.requires_grad = true;
        return new MethodAttachment(config);
    }

    /// <summary>The norms a target list selects: by last name, full path, or glob over the path.</summary>
    private static IReadOnlyList<(string Path, nn.Module Module)> Select(SiteRegistry sites, IReadOnlyList<string> targets) =>
        sites.Norms.Where(n => targets.Any(t => t == n.Path || t == LastName(n.Path)
            || (Glob.IsGlob(t) && Glob.Matches(t, n.Path)))).ToList();

    private static string LastName(string path) => path[(path.LastIndexOf('.') + 1)..];

    public JsonObject ToPeftConfig(MethodConfig config, IReadOnlyList<string> targetModules) => new()
    {
        ["peft_type"] = "LN_TUNING",
        ["target_modules"] = PeftAdapterCheckpoint.TargetList(targetModules),
    };

    public MethodConfig FromPeftConfig(JsonObject adapterConfig) => Defaults with
    {
        Targets = PeftAdapterCheckpoint.TargetsFromPeftNames(PeftAdapterCheckpoint.TargetModules(adapterConfig)),
    };

    /// <summary>Each trained norm's own weight (and bias) under peft's <c>&lt;norm&gt;.ln_tuning_layers.weight</c>.</summary>
    public IEnumerable<(string ModulePath, IReadOnlyDictionary<string, Tensor> Tensors)> PeftModuleTensors(SequenceClassifier model) =>
        model.Sites.Norms.Where(n => n.Module.parameters().Any(p => p.requires_grad))
            .Select(n => (n.Path, (IReadOnlyDictionary<string, Tensor>)n.Module.named_parameters(recurse: false)
                .ToDictionary(p => $"{PeftLayerName}.{p.name}", p => (Tensor)p.parameter)));
}
