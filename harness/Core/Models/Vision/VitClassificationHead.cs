using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Core.Models;

/// <summary>
/// ViTForImageClassification's head: one linear <c>classifier</c> (keys <c>classifier.weight</c>,
/// <c>classifier.bias</c>) on the final-layernormed CLS token. Hugging Face applies no dropout here; the
/// recipe's head dropout is applied to the CLS features during training only, so evaluation matches exactly.
/// </summary>
public sealed class VitClassificationHead : SequenceHead
{
    private readonly Dropout dropout;
    public Parameter weight;
    public Parameter bias;

    public VitClassificationHead(long hidden, long outputs, double dropoutProbability, Device? device = null, ScalarType? dtype = null)
        : base("classifier")
    {
        dropout = nn.Dropout(dropoutProbability);
        // Hugging Face's _init_weights: truncated N(0, 0.02) weight, zero bias.
        weight = new Parameter(zeros(outputs, hidden, dtype: dtype, device: device));
        nn.init.trunc_normal_(weight, 0.0, 0.02);
        bias = new Parameter(zeros(outputs, dtype: dtype, device: device));
        RegisterComponents();
    }

    /// <param name="hidden">[B, T, d]; position 0 is CLS (soft prompts are inserted after it).</param>
    public override Tensor forward(Tensor hidden, ModelInputs inputs) =>
        F.linear(dropout.call(hidden.select(1, 0)), weight, bias);
}
