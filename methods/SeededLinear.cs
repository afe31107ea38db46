using PeftBench.Core.Methods;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>
/// y = W x + b initialised as torch.nn.Linear (weight Kaiming-uniform a = √5, bias U(±1/√fan_in)) but drawn from the
/// cell's generator: nn.Linear's constructor would draw from the global one. The small MLPs of prompt encoders and
/// ReFT's learned projection use it.
/// </summary>
public sealed class SeededLinear : nn.Module<Tensor, Tensor>
{
    public Parameter weight;
    public Parameter bias;

    public SeededLinear(long inFeatures, long outFeatures, MethodContext context) : base(nameof(SeededLinear))
    {
        weight = new Parameter(KaimingUniform.Draw(outFeatures, inFeatures, context));
        var bound = 1.0 / Math.Sqrt(inFeatures);
        using (no_grad()) bias = new Parameter(context.Rand(outFeatures).mul_(2 * bound).sub_(bound));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => F.linear(input, weight, bias);

    /// <summary>Elements of a linear layer: in·out + out.</summary>
    public static long Count(long inFeatures, long outFeatures) => inFeatures * outFeatures + outFeatures;
}
