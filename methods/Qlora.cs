// QLoRA — Dettmers, Pagnoni, Holtzman & Zettlemoyer, "QLoRA: Efficient Finetuning of Quantized LLMs", NeurIPS 2023
// (arXiv 2305.14314), eq. (5)–(6):
//     Y = X · doubleDequant(c₁^FP32, c₂^k-bit, W^NF4) + s · X L₁ L₂,   i.e.  h = dequant_NF4(W₀) x + (α/r) · B A dropout(x).
// Every linear of the backbone is stored in 4-bit NormalFloat with double-quantized constants (see Nf4.cs: blocks of 64,
// constants in 8 bits in blocks of 256 around their mean) and dequantized to the compute type on each forward; the
// float weights are freed once quantized. LoRA (A Kaiming-uniform, B = 0, as peft) trains on top, in fp32, on every
// linear layer (the paper: "LoRA on all linear transformer block layers" is needed to match 16-bit fine-tuning).
// The head stays in float, as bitsandbytes leaves lm_head / the classifier unquantized.
// Simplification: the paper's paged optimizers (unified-memory paging of optimizer states on GPU) are a memory
// mechanism with no effect on the numbers, and are not implemented; the optimizer is the shared AdamW.
// Output at init differs from the float model by the quantization error (ΔW = 0, W₀ replaced by its NF4 form).
// Merge: ΔW folds only into the dequantized float weight, and the merged layer runs in fp32. peft's bnb Linear4bit.merge
// dequantizes, adds ΔW and quantizes the sum to NF4 again, warning that rounding changes the outputs; we do not
// re-quantize, so merged outputs equal unmerged ones (the price: the merged layer holds fp32 weights).
// Trainable parameters: Σ over targets r(d_in + d_out), as LoRA.

using System.Text.Json.Nodes;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>
/// QLoRA settings: LoRA's, on every linear (<c>*</c>), with dropout 0.1 (the paper's for models up to 13B) and
/// <see cref="DoubleQuant"/> (bitsandbytes' bnb_4bit_use_double_quant). The paper's r = 64, α = 16 are for LLaMA 7B–65B
/// (d ≥ 4096); on the tiny backbones the default rank is 16 with α = 16 (the scaling of 1 this repository's LoRA uses)
/// and the rank is the knob budgets fit. Learning rate 2e-3 as LoRA here (the paper's 2e-4 is for 7B–13B models).
/// Not sealed: LoftQ adds its iteration count.
/// </summary>
public record QloraConfig : LoraConfig
{
    public QloraConfig()
    {
        Rank = 16;
        Alpha = 16;
        Dropout = 0.1;
        Targets = Nf4Weight.AllLinears;
    }

    /// <summary>Quantize the absmax constants to 8 bits (QLoRA's double quantization); false keeps them in fp32.</summary>
    public bool DoubleQuant { get; init; } = true;
}

/// <summary>LoRA on a backbone stored in NF4 with double quantization; merges into the dequantized weights.</summary>
public sealed class Qlora : LoraFamily<QloraConfig>
{
    public override string Id => "qlora";
    public override int Version => 1;
    public override string Family => "quantization";
    public override string Citation => "Dettmers et al., NeurIPS 2023 (QLoRA), eq. 5: h = dequant_NF4(W₀)x + (α/r)·B A x, NF4 blocks of 64, double-quantized constants.";
    public override string Description => "LoRA on every linear of a backbone stored in 4-bit NF4 with double quantization (dequantized per forward); merges only into dequantized fp32 weights.";
    public override QloraConfig Defaults => new();
    public override bool PreservesOutputAtInit => false;

    protected override LinearAdapter CreateAdapter(AdaptableLinear linear, QloraConfig config, MethodContext context) =>
        new LoraAdapter(linear.InFeatures, linear.OutFeatures, config, context);

    protected override MethodAttachment Apply(SequenceClassifier model, QloraConfig config, MethodContext context)
    {
        model.FreezeAll();
        Nf4Weight.QuantizeBackbone(model, config.DoubleQuant);
        return base.Apply(model, config, context);
    }
}
