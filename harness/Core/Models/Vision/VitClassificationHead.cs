using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Core.Models;

/// <summary>
/// ViTForImageClassification's head: one linear <c>classifier</c> (keys <c>classifier.weight</c>,
/// <c>classifier.bias</c>) on the final-layernormed CLS token, or on the mean of the patch tokens for backbones
/// pooled that way (<see cref="PatchPooling"/>). Hugging Face applies no dropout here; the recipe's head dropout is
/// applied to the pooled features during training only, so evaluation matches exactly.
/// </summary>
public sealed class VitClassificationHead : SequenceHead
{
    private readonly Dropout dropout;
    public Parameter weight;
    public Parameter bias;
    private readonly PatchPooling pooling;
    private readonly int patches;

    public VitClassificationHead(long hidden, long outputs, double dropoutProbability, Device? device = null, ScalarType? dtype = null,
        PatchPooling pooling = PatchPooling.SpecialTokens, int patches = 0)
        : base("classifier")
    {
        this.pooling = pooling;
        this.patches = patches;
        dropout = nn.Dropout(dropoutProbability);
        // Hugging Face's _init_weights: truncated N(0, 0.02) weight, zero bias.
        weight = new Parameter(zeros(outputs, hidden, dtype: dtype, device: device));
        nn.init.trunc_normal_(weight, 0.0, 0.02);
        bias = new Parameter(zeros(outputs, dtype: dtype, device: device));
        RegisterComponents();
    }

    /// <param name="hidden">[B, T, d]; position 0 is CLS, the patches are last (soft prompts are inserted between).</param>
    public override Tensor forward(Tensor hidden, ModelInputs inputs) =>
        F.linear(dropout.call(PatchPoolings.Pool(hidden, pooling, 1, patches)), weight, bias);
}
