using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Sites;

/// <summary>
/// A method's change to one <see cref="AdaptableLinear"/>. The host computes the frozen base output
/// y₀ = W₀x + b and hands it to each attached adapter in turn; additive methods return y₀ + Δ(x),
/// reparameterising methods (DoRA, OFT …) may ignore y₀ and recompute from the host's weights.
/// </summary>
public abstract class LinearAdapter : nn.Module
{
    protected LinearAdapter(string name) : base(name) { }

    /// <summary>Output of the adapted layer, given its input and the frozen base output.</summary>
    public abstract Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host);

    /// <summary>True when the update is linear in the input and can be folded into W₀ (zero inference overhead).</summary>
    public virtual bool CanMerge => false;

    /// <summary>ΔW with the host weight's shape [out, in]; only called when <see cref="CanMerge"/>.</summary>
    public virtual Tensor DeltaWeight(AdaptableLinear host) =>
        throw new NotSupportedException($"{GetType().Name} cannot be merged into the base weight.");

    /// <summary>
    /// Δb with the host's output width, or null when the update leaves the bias alone (the default: ΔW only).
    /// Scaling methods change it: (IA)³ rescales b with the rows of W, SSF adds its shift. Only called when
    /// <see cref="CanMerge"/>; it may be non-null for a host without a bias (the host then holds the merged bias).
    /// </summary>
    public virtual Tensor? DeltaBias(AdaptableLinear host) => null;
}
