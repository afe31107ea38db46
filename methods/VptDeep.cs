// VPT-deep — Jia et al., "Visual Prompt Tuning", ECCV 2022 (arXiv 2203.12119), §3.2 eq. (7)–(9): a new set of p
// learnable prompts at the input of every layer, replacing (not carrying) the previous layer's prompt outputs,
//     [x_i, _, E_i] = L_i([x_{i−1}, P_{i−1}, E_{i−1}]),   i = 1 … N,   P_{i−1} ∈ ℝ^{p×d},
// as the release's forward_deep_prompt: P_0 enters after [CLS] at the input (VptShallow.cs's module), and before block i
// the prompt positions of block i − 1's output are overwritten by P_i; the last block's prompt outputs are left as
// they are (the head reads CLS). Init, dropout and applicability as VPT-shallow. Trainable: N·p·d (+ head).

using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>Visual prompts at every layer's input, replaced layer by layer.</summary>
public sealed class VptDeep : VptFamily
{
    public override string Id => "vpt-deep";
    public override string Citation => "Jia et al., ECCV 2022 (VPT-deep): a new P_i ∈ ℝ^{p×d} before every layer i, replacing the previous prompts.";
    public override string Description => "10 learnable prompt tokens per layer of a ViT/AST, each layer's replacing the last (patch sequences only).";

    protected override int PromptedLayers(SiteRegistry sites) => sites.HiddenStates.Count;
}
