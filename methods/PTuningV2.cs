// P-tuning v2 — Liu, Ji, Fu, Tam, Du, Yang & Tang, "P-Tuning v2: Prompt Tuning Can Be Comparable to Fine-tuning
// Universally Across Scales and Tasks", ACL 2022 (arXiv 2110.07602), §3.2–3.3: deep prompt tuning, i.e. prefix tuning's
//     K'_ℓ = [P_K^ℓ; K_ℓ],   V'_ℓ = [P_V^ℓ; V_ℓ]   in every layer,
// trained directly (§3.3: the reparameterisation encoder is optional and task-dependent; the release's default
// prefix_projection is off), with a linear head on the tokens (here the model's classification head). §4: simple
// classification prefers short prompts (≤ 20), sequence labelling ~100. The same module as prefix tuning
// (PrefixTuning.cs) with another default configuration: l = 20, no reparameterisation, a prompt-sized learning rate
// (the release's 5e-3–1e-2) with the head at 1e-3. P ~ N(0, 1) (the release's nn.Embedding). Trainable: 2·L·l·d_kv.

namespace PeftBench.Methods;

/// <summary>Deep prompts: the prefix-tuning module trained without its MLP.</summary>
public sealed class PTuningV2 : PrefixFamily
{
    public override string Id => "p-tuning-v2";
    public override string Citation => "Liu et al., ACL 2022 (P-tuning v2): deep prompts K' = [P_K; K], V' = [P_V; V] in every layer, trained directly.";
    public override string Description => "l = 20 trainable key/value prefixes in every attention layer, no reparameterisation (the release's default).";
    public override PrefixTuningConfig Defaults => new() { PrefixLength = 20, Reparameterize = false, LearningRate = 1e-2 };
}
