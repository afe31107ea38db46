// AdaptFormer — Chen, Ge, Tong, Wang, Song, Wang & Luo, "AdaptFormer: Adapting Vision Transformers for Scalable Visual
// Recognition", NeurIPS 2022 (arXiv 2205.13535), eq. (1)–(2): an AdaptMLP branch beside the MLP of every block,
//     x̃ = ReLU(LN(x′) W_down) W_up,   x = MLP(LN(x′)) + s · x̃ + x′,   s = 0.1, m = 64,
// W_down Kaiming-uniform (a = √5), W_up = 0, biases 0 (the released code's init_option "lora"): the identity at init.
// Dropout 0.1 on the bottleneck as in the released code (models/custom_modules.py). The branch reads LN(x′), the
// input the MLP's up projection receives, as eq. (1) says (the released code feeds x′ itself, its layernorm option
// "none"); in post-LN encoders (BERT) that is the attention block's output. Vision-origin, but nothing in it is
// specific to images: it applies to the FFN of every family here. Trainable: L·(2dm + d + m).

using PeftBench.Core.Sites;

namespace PeftBench.Methods;

/// <summary>AdaptFormer settings: m = 64, s = 0.1, ReLU, "lora" init, bottleneck dropout 0.1.</summary>
public sealed record AdaptFormerConfig : BottleneckConfig
{
    public AdaptFormerConfig()
    {
        Bottleneck = 64;
        Scaling = 0.1;
        Dropout = 0.1;
        Init = BottleneckInit.Lora;
    }
}

/// <summary>AdaptMLP: a scaled bottleneck beside the MLP of every block (vision-origin, applied to any transformer FFN).</summary>
public sealed class AdaptFormer : BottleneckMethod<AdaptFormerConfig>
{
    public override string Id => "adaptformer";
    public override int Version => 1;
    public override string Citation => "Chen et al., NeurIPS 2022 (AdaptFormer), eq. 1–2: x = MLP(LN(x′)) + 0.1·ReLU(LN(x′) W_down) W_up + x′, m = 64.";
    public override string Description => "AdaptMLP (vision-origin): a bottleneck (m = 64, ReLU, zero-initialised up projection) beside every FFN, added with scale 0.1.";
    public override AdaptFormerConfig Defaults => new();
    protected override string[] Roles => [SiteRoles.AfterMlp];
    protected override bool Parallel => true;
    protected override string AdapterName => "adaptmlp";
}
