// DiReFT — Wu et al., "ReFT: Representation Finetuning for Language Models", NeurIPS 2024 (arXiv 2404.03592), §3.1
// (the ablation of LoReFT without the orthogonality constraint and without the difference term):
//     Φ(h) = h + W₂ᵀ(W₁ h + b),   W₁, W₂ ∈ ℝ^{r×d}, b ∈ ℝ^r,
// at the same positions and layers as LoReFT (Loreft.cs: selection, defaults, dropout). As pyreft's DireftIntervention:
// W₂ starts from torch's orthogonal init but is a free matrix (no parametrisation); W₁, b as torch.nn.Linear(d, r).
// Trainable: (2rd + r) per intervention, counted as LoReFT's.

using PeftBench.Core.Methods;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>DiReFT: LoReFT's intervention without orthogonality or the −Rh term.</summary>
public sealed class Direft : ReftFamily
{
    public override string Id => "direft";
    public override string Citation => "Wu et al., NeurIPS 2024 (DiReFT): Φ(h) = h + W₂ᵀ(W₁h + b), no orthogonality, at chosen positions and layers.";
    public override string Description => "Rank-1 low-rank edit h + W₂ᵀ(W₁h + b) of every block's output at the first token (LoReFT's recipe, unconstrained).";

    protected override ReftIntervention Create(long width, ReftConfig config, bool first, bool last, MethodContext context) =>
        new DireftIntervention(width, config, first, last, context);
}

/// <summary>h + (h W₁ᵀ + b) W₂ with W₂ stored as pyreft's [d, r] rotate_layer weight.</summary>
public sealed class DireftIntervention : ReftIntervention
{
    public Parameter rotate;
    private readonly SeededLinear learned_source;

    public DireftIntervention(long width, ReftConfig config, bool first, bool last, MethodContext context)
        : base(nameof(DireftIntervention), config, first, last)
    {
        rotate = new Parameter(LoreftIntervention.OrthogonalInit(width, config.Rank, context));
        learned_source = new SeededLinear(width, config.Rank, context);
        RegisterComponents();
    }

    protected override Tensor Edit(Tensor hidden) => hidden + F.linear(learned_source.call(hidden), rotate);
}
