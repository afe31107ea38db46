using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// Root-mean-square layer norm (Zhang &amp; Sennrich, 2019), as transformers' <c>LlamaRMSNorm</c>:
/// y = w ⊙ x / √(mean(x²) + ε), computed in float32 and cast back before the scale. Marked
/// <see cref="INormalization"/> so LN-tuning finds it beside TorchSharp's LayerNorm.
/// </summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>, INormalization
{
    public Parameter weight;
    private readonly double eps;

    public RmsNorm(long width, double eps, Device? device = null, ScalarType? dtype = null) : base(nameof(RmsNorm))
    {
        this.eps = eps;
        weight = new Parameter(ones(width, dtype: dtype, device: device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var x = input.to_type(ScalarType.Float32);
        var normalised = x * rsqrt(x.pow(2).mean(new long[] { -1 }, keepdim: true) + eps);
        return weight * normalised.to_type(input.dtype);
    }
}
