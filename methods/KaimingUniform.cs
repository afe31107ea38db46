using PeftBench.Core.Methods;
using static TorchSharp.torch;

namespace PeftBench.Methods;

/// <summary>
/// torch.nn.init.kaiming_uniform_(a = √5), the init peft uses for most adapter factors, drawn from the cell's
/// generator: gain √(2/(1 + 5)), bound gain·√(3/fan_in) = 1/√fan_in, fan_in being the second dimension.
/// </summary>
internal static class KaimingUniform
{
    public static Tensor Draw(long rows, long fanIn, MethodContext context)
    {
        var bound = 1.0 / Math.Sqrt(fanIn);
        using var _ = no_grad();
        return context.Rand(rows, fanIn).mul_(2 * bound).sub_(bound);
    }
}
