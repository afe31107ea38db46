using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using static TorchSharp.torch;

namespace PeftBench.Harness.Planning;

/// <summary>
/// The numeric precision a cell trains and evaluates in (<c>--precision</c>), part of its key when not fp32.
/// <para>
/// TorchSharp 0.107 has no autocast (no <c>torch.autocast</c>, no AutocastMode, no GradScaler), so <c>bf16</c> is an
/// emulation of torch.autocast(dtype=bfloat16) restricted to the backbone's projections: every
/// <see cref="AdaptableLinear"/> of the backbone (attention q/k/v/o, MLP, not the task head) computes its frozen base
/// product W₀x + b in bfloat16 from bf16 casts of its input and weights, and returns fp32. Everything else stays
/// fp32: stored weights (master copies, so full fine-tuning updates fp32 weights through the casts), the adapters'
/// own parameters and products, embeddings, attention scores and softmax, norms, the head and the loss. No loss
/// scaling is needed: bf16 has fp32's exponent range. Weights are cast per call, not cached, so bf16 saves
/// activation traffic in the projections but no weight memory.
/// </para>
/// </summary>
public sealed record Precision(string Id, string Description, ScalarType? BaseComputeType)
{
    public static readonly Precision Fp32 = new("fp32", "fp32 throughout", null);

    public static readonly Precision Bf16 = new("bf16",
        "bf16 backbone projections (emulated autocast: base products W0x+b of every backbone linear in bfloat16; " +
        "master weights, adapters, attention softmax, norms, head and loss in fp32)", ScalarType.BFloat16);

    public static IReadOnlyList<Precision> All { get; } = [Fp32, Bf16];

    public static Precision? Find(string id) => All.FirstOrDefault(p => p.Id == id.Trim().ToLowerInvariant());

    public bool IsDefault => this == Fp32;

    /// <summary>Sets the base compute type of every backbone projection (after the method attached its adapters).</summary>
    public void ApplyTo(SequenceClassifier model)
    {
        foreach (var linear in model.Sites.Linears.Where(l => l.Role != SiteRoles.Head))
            linear.BaseComputeType = BaseComputeType;
    }
}
