using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// What ViT and AST share: <c>embeddings</c> → <c>encoder</c> (pre-norm blocks) → final <c>layernorm</c>, with
/// Hugging Face's module names so a <c>ViTModel</c>/<c>ASTModel</c> state dict loads unchanged (the ViT pooler is
/// omitted: ViTForImageClassification does not use it). Every projection is an <see cref="AdaptableLinear"/>; each
/// block has residual sites after attention and after the MLP and a key/value prefix site; the embeddings have an
/// input site for soft prompts (VPT). Every parameter is created on the given device and dtype, so the model also
/// builds on the meta device for shape-only work.
/// </summary>
public abstract class PatchTransformer : Backbone
{
    private readonly PatchEmbeddings embeddings;
    private readonly VitEncoder encoder;
    private readonly LayerNorm layernorm;
    private readonly SiteRegistry sites;

    public PatchTransformerConfig TransformerConfig { get; }
    public override long HiddenSize => TransformerConfig.HiddenSize;
    public override SiteRegistry Sites => sites;
    /// <summary>Tokens per input before soft prompts: the special tokens and the patches.</summary>
    public int SequenceLength => TransformerConfig.SpecialTokens + TransformerConfig.NumPatches;
    protected ScalarType? DType { get; }

    /// <summary>
    /// What <see cref="Backbone.CreateClassificationHead"/>'s head pools: Hugging Face's special tokens by default;
    /// the loader of a backbone pretrained by masked patch modelling sets <see cref="PatchPooling.MeanPatches"/>.
    /// </summary>
    public PatchPooling ClassifierPooling { get; set; } = PatchPooling.SpecialTokens;

    private protected PatchTransformer(string name, PatchTransformerConfig config, PatchEmbeddings embeddings, Device? device, ScalarType? dtype)
        : base(name)
    {
        var problems = config.Validate().ToList();
        if (problems.Count > 0) throw new ArgumentException($"{config.ModelType} config: {string.Join(" ", problems)}");
        TransformerConfig = config;
        DType = dtype;
        this.embeddings = embeddings;
        encoder = new VitEncoder(config, device, dtype);
        layernorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps, device: device, dtype: dtype);
        // Registered by hand, in call order: the embeddings are built by the family, the rest is shared.
        register_module("embeddings", embeddings);
        register_module("encoder", encoder);
        register_module("layernorm", layernorm);
        sites = SiteRegistry.Discover(this, config.NumHiddenLayers, config.HiddenSize);
    }

    /// <summary>Final-layernormed hidden states [B, special + prompts + patches, d] for an input plane [B, C, H, W].</summary>
    private protected Tensor EncodePlane(Tensor plane) => layernorm.call(encoder.call(embeddings.call(plane, null, null)));

    /// <summary>The plane [B, C, H, W] the patch convolution reads, after the family's shape checks: pixels, or
    /// AST's <c>input_values</c> turned to [B, 1, mel, frames].</summary>
    public abstract Tensor ToPlane(ModelInputs inputs);

    public override Tensor Forward(ModelInputs inputs) => EncodePlane(ToPlane(inputs));

    /// <summary>
    /// Hidden states as <see cref="Forward"/>, with the patches where <paramref name="boolMaskedPos"/> [B, patches] is
    /// true replaced by <paramref name="maskToken"/> [1, 1, d] before positions are added (masked patch modelling).
    /// </summary>
    public Tensor ForwardMasked(ModelInputs inputs, Tensor boolMaskedPos, Tensor maskToken)
    {
        long patches = TransformerConfig.NumPatches;
        if (boolMaskedPos.dim() != 2 || boolMaskedPos.shape[0] != inputs.BatchSize || boolMaskedPos.shape[1] != patches)
            throw new ArgumentException($"bool_masked_pos must be [{inputs.BatchSize}, {patches}], got [{string.Join(", ", boolMaskedPos.shape)}].");
        return layernorm.call(encoder.call(embeddings.call(ToPlane(inputs), boolMaskedPos, maskToken)));
    }

    private protected static void CheckShape(Tensor input, string what, params long[] expected)
    {
        var shape = input.shape;
        bool ok = shape.Length == expected.Length + 1 && shape.Skip(1).SequenceEqual(expected);
        if (!ok)
            throw new ArgumentException($"{what} must be [B, {string.Join(", ", expected)}], got [{string.Join(", ", shape)}].");
    }
}
