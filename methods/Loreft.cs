// LoReFT — Wu, Arora, Wang, Geiger, Jurafsky, Manning & Potts, "ReFT: Representation Finetuning for Language Models",
// NeurIPS 2024 (arXiv 2404.03592), §3.1: a low-rank linear subspace intervention on hidden representations,
//     Φ(h) = h + Rᵀ(W h + b − R h),   R ∈ ℝ^{r×d} with orthonormal rows, W ∈ ℝ^{r×d}, b ∈ ℝ^r,
// applied to the residual stream a block outputs (pyreft's block_output) at chosen positions — the first p and last
// q tokens (pyreft's "f<p>+l<q>") — of chosen layers, the model frozen. As pyreft's LoreftIntervention: R is kept
// orthonormal by a parametrisation (pyreft: torch's orthogonal parametrisation; here R = Qᵀ of the reduced QR of a
// free d×r matrix, sign-fixed so diag of the triangular factor is positive), started from torch's orthogonal init;
// W, b as torch.nn.Linear(d, r); dropout on Φ(h) at the intervened positions; a separate intervention for the first
// and for the last positions unless share_weights. Defaults: pyreft's GLUE recipe (examples/loreft, RoBERTa):
// r = 1, position f1, every layer, dropout 0.05, lr 6e-4, the head trained with it.
// Trainable: (2rd + r) per intervention × layers × (2 when first and last positions are both used and not shared).

using System.Globalization;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>
/// ReFT settings, shared by LoReFT and DiReFT. Positions count real tokens (padding skipped, whichever side it is on);
/// <see cref="Layers"/> is <c>all</c> or block indices (<c>0,2,4</c>).
/// </summary>
public sealed record ReftConfig : MethodConfig
{
    public ReftConfig() => LearningRate = 6e-4;

    public int Rank { get; init; } = 1;
    public int FirstPositions { get; init; } = 1;
    public int LastPositions { get; init; }
    public string Layers { get; init; } = "all";
    /// <summary>One intervention for first and last positions (pyreft's share_weights) instead of one each.</summary>
    public bool ShareWeights { get; init; }
    public double Dropout { get; init; } = 0.05;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        var inv = CultureInfo.InvariantCulture;
        if (Rank < 1) yield return $"rank must be at least 1 (got {Rank.ToString(inv)}).";
        if (FirstPositions < 0 || LastPositions < 0 || FirstPositions + LastPositions == 0)
            yield return $"first_positions and last_positions must be ≥ 0 and not both 0 (got {FirstPositions.ToString(inv)}, {LastPositions.ToString(inv)}).";
        if (!(Dropout >= 0 && Dropout < 1)) yield return $"dropout must be in [0, 1) (got {Dropout.ToString(inv)}).";
        if (Layers != "all" && Layers.Split(',').Any(t => !int.TryParse(t.Trim(), NumberStyles.None, inv, out _)))
            yield return $"layers must be 'all' or comma-separated block indices (got '{Layers}').";
    }

    /// <summary>Block indices to intervene on, for a model with <paramref name="layerCount"/> blocks.</summary>
    public IReadOnlyList<int> LayerIndices(int layerCount) => Layers == "all"
        ? Enumerable.Range(0, layerCount).ToList()
        : Layers.Split(',').Select(t => int.Parse(t.Trim(), CultureInfo.InvariantCulture)).Distinct().Order().ToList();

    /// <summary>Interventions per layer: one for the first and one for the last positions, unless shared or one side is unused.</summary>
    public int InterventionsPerLayer => ShareWeights || FirstPositions == 0 || LastPositions == 0 ? 1 : 2;
}

/// <summary>LoReFT: an orthonormal low-rank edit of the residual stream at the first/last token positions.</summary>
public sealed class Loreft : ReftFamily
{
    public override string Id => "loreft";
    public override string Citation => "Wu et al., NeurIPS 2024 (LoReFT): Φ(h) = h + Rᵀ(Wh + b − Rh), R with orthonormal rows, at chosen positions and layers.";
    public override string Description => "Rank-1 orthonormal-subspace intervention on every block's output at the first token (pyreft's GLUE recipe).";

    protected override ReftIntervention Create(long width, ReftConfig config, bool first, bool last, MethodContext context) =>
        new LoreftIntervention(width, config, first, last, context);
}

/// <summary>
/// What the ReFT methods share: the rank knob, layer and position selection, one or two interventions per chosen
/// block output, and the backbone frozen with the head trained at the same rate (pyreft's allow_cls_grad).
/// </summary>
public abstract class ReftFamily : PeftMethod<ReftConfig>
{
    public override int Version => 1;
    public override string Family => "prompt";
    public override ReftConfig Defaults => new();
    public override Knob Knob => new("rank", 1, 4096);
    public override bool PreservesOutputAtInit => false;

    protected override ReftConfig WithKnob(ReftConfig config, int value) => config with { Rank = value };
    protected override int KnobValue(ReftConfig config) => config.Rank;

    public override string? NotApplicableReason(SiteRegistry sites) =>
        sites.HiddenStates.Count > 0 ? null : "the backbone exposes no block outputs to intervene on.";

    /// <summary>R has orthonormal rows, so r ≤ d.</summary>
    protected override Knob? KnobFor(SiteRegistry sites, ReftConfig config) => Knob with { Max = (int)Math.Min(Knob.Max, sites.HiddenSize) };

    protected override IEnumerable<string> Validate(ReftConfig config, SiteRegistry sites)
    {
        if (config.Rank > sites.HiddenSize) yield return $"{Id}: rank {config.Rank} exceeds the hidden size {sites.HiddenSize}.";
        if (config.Layers != "all")
            foreach (var index in config.LayerIndices(sites.HiddenStates.Count).Where(i => i >= sites.HiddenStates.Count))
                yield return $"{Id}: layer {index} does not exist (the model has blocks 0..{sites.HiddenStates.Count - 1}).";
    }

    private static IEnumerable<HiddenStateSite> Chosen(SiteRegistry sites, ReftConfig config)
    {
        var indices = config.LayerIndices(sites.HiddenStates.Count).ToHashSet();
        return sites.HiddenStates.Where(s => indices.Contains(s.LayerIndex));
    }

    protected override long CountTrainable(SiteRegistry sites, ReftConfig config) =>
        Chosen(sites, config).Sum(s => config.InterventionsPerLayer * (2L * config.Rank * s.Width + config.Rank));

    protected override MethodAttachment Apply(SequenceClassifier model, ReftConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        foreach (var site in Chosen(model.Sites, config))
        {
            if (config.InterventionsPerLayer == 1)
                site.Attach(Id.Replace('-', '_'), Create(site.Width, config, config.FirstPositions > 0, config.LastPositions > 0, context));
            else
            {
                // pyreft applies the prefix intervention, then the suffix one (a token that is both sees both).
                site.Attach("first", Create(site.Width, config, first: true, last: false, context));
                site.Attach("last", Create(site.Width, config, first: false, last: true, context));
            }
        }
        return new MethodAttachment(config);
    }

    protected abstract ReftIntervention Create(long width, ReftConfig config, bool first, bool last, MethodContext context);
}

/// <summary>Φ applied at the selected positions (the first p and/or last q real tokens of each row), dropout on its output.</summary>
public abstract class ReftIntervention : HiddenStateIntervention
{
    private readonly int first, last;
    private readonly double dropout;

    protected ReftIntervention(string name, ReftConfig config, bool first, bool last) : base(name)
    {
        this.first = first ? config.FirstPositions : 0;
        this.last = last ? config.LastPositions : 0;
        dropout = config.Dropout;
    }

    /// <summary>Φ(h) for hidden states [B, T, d].</summary>
    protected abstract Tensor Edit(Tensor hidden);

    public override Tensor Intervene(Tensor hidden, Tensor? tokenMask)
    {
        var selected = Positions(hidden, tokenMask, first, last).unsqueeze(-1);
        var edited = F.dropout(Edit(hidden), dropout, training);
        return where(selected, edited, hidden);
    }

    /// <summary>[B, T] true at the first <paramref name="first"/> and last <paramref name="last"/> real tokens of each row.</summary>
    public static Tensor Positions(Tensor hidden, Tensor? tokenMask, int first, int last)
    {
        var real = tokenMask is null
            ? ones(hidden.shape[0], hidden.shape[1], dtype: ScalarType.Bool, device: hidden.device)
            : tokenMask.to_type(ScalarType.Bool);
        var rank = real.to_type(ScalarType.Int64).cumsum(1) - 1;
        var count = real.to_type(ScalarType.Int64).sum(1, keepdim: true);
        var chosen = rank.lt(first).logical_or(rank.ge(count - last));
        return chosen.logical_and(real);
    }
}

/// <summary>
/// h + Rᵀ(Wh + b − Rh) with R = orthonormalise(rotate)ᵀ: the reduced QR of the free d×r matrix <c>rotate</c>, columns
/// sign-fixed, so R's rows are orthonormal for every value of the trained parameter.
/// </summary>
public sealed class LoreftIntervention : ReftIntervention
{
    public Parameter rotate;
    private readonly SeededLinear learned_source;

    public LoreftIntervention(long width, ReftConfig config, bool first, bool last, MethodContext context)
        : base(nameof(LoreftIntervention), config, first, last)
    {
        rotate = new Parameter(OrthogonalInit(width, config.Rank, context));
        learned_source = new SeededLinear(width, config.Rank, context);
        RegisterComponents();
    }

    /// <summary>torch.nn.init.orthogonal_ of a [d, r] matrix: Q of a seeded Gaussian's QR, columns sign-fixed.</summary>
    public static Tensor OrthogonalInit(long width, long rank, MethodContext context)
    {
        var gaussian = context.Randn(width, rank);
        // libtorch has no QR on the meta device (shape-only builds): the shape is all that is needed there.
        if (gaussian.device.type == DeviceType.META) return gaussian;
        using var _ = no_grad();
        return Orthonormal(gaussian);
    }

    /// <summary>Q [d, r] of A = QR with diag(R) ≥ 0: orthonormal columns, continuous in A.</summary>
    public static Tensor Orthonormal(Tensor a)
    {
        var (q, r) = linalg.qr(a, linalg.QRMode.Reduced);
        var signs = r.diagonal().sign();
        return q * where(signs.eq(0), ones_like(signs), signs).unsqueeze(0);
    }

    /// <summary>R ∈ ℝ^{r×d}, rows orthonormal.</summary>
    public Tensor Rotation() => Orthonormal(rotate).t();

    protected override Tensor Edit(Tensor hidden)
    {
        var q = Orthonormal(rotate);
        // Rᵀ(Wh + b − Rh) as row vectors: (h Wᵀ + b − h Q) Qᵀ, with Q = Rᵀ [d, r].
        var delta = learned_source.call(hidden) - F.linear(hidden, q.t());
        return hidden + F.linear(delta, q);
    }
}
