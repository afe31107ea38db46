using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// ASTForAudioClassification's head (<c>ASTMLPHead</c>, keys <c>classifier.layernorm.*</c>, <c>classifier.dense.*</c>):
/// layernorm → dense on ASTModel's pooled output, the mean of the CLS and distillation tokens (positions 0 and 1;
/// soft prompts are inserted after both), or the mean of the patch tokens for backbones pooled that way
/// (<see cref="PatchPooling"/>). The recipe's head dropout acts on the pooled features in training only.
/// </summary>
public sealed class AstClassificationHead : SequenceHead
{
    private readonly LayerNorm layernorm;
    private readonly Dropout dropout;
    private readonly Linear dense;
    private readonly PatchPooling pooling;
    private readonly int patches;

    public AstClassificationHead(long hidden, long outputs, double dropoutProbability, double layerNormEps = 1e-12,
        Device? device = null, ScalarType? dtype = null, PatchPooling pooling = PatchPooling.SpecialTokens, int patches = 0) : base("classifier")
    {
        this.pooling = pooling;
        this.patches = patches;
        layernorm = nn.LayerNorm(hidden, eps: layerNormEps, device: device, dtype: dtype);
        dropout = nn.Dropout(dropoutProbability);
        dense = nn.Linear(hidden, outputs, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, ModelInputs inputs)
    {
        var pooled = pooling == PatchPooling.SpecialTokens
            ? (hidden.select(1, 0) + hidden.select(1, 1)) / 2
            : PatchPoolings.Pool(hidden, pooling, 2, patches);
        return dense.call(dropout.call(layernorm.call(pooled)));
    }
}
