using PeftBench.Core.Checkpoints;
using PeftBench.Core.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Harness.Pretraining;

/// <summary>The losses of one masked batch (scalars), and the zero-prediction baseline on the same masked patches.</summary>
public sealed record MaskedPatchLosses(Tensor Total, Tensor Reconstruction, Tensor ZeroBaseline, Tensor? Discriminative, Tensor? DiscriminativeCorrect);

/// <summary>
/// Masked patch modelling on a ViT or AST backbone, one implementation for both (they are the same
/// <see cref="PatchTransformer"/>). SimMIM (Xie et al., "SimMIM: A Simple Framework for Masked Image Modeling",
/// CVPR 2022, §3): masked patch embeddings are replaced by a learnable <c>mask_token</c> before the position
/// embeddings, the whole sequence is encoded, and a light linear head (<c>decoder</c>, their 1×1 convolution)
/// regresses each masked patch's values from its final hidden state: L_rec = mean over masked values of |ŷ − y|
/// (SimMIM's ℓ1) or (ŷ − y)² (SSAST's generative MSE). SSAST (Gong et al., "SSAST: Self-Supervised Audio Spectrogram
/// Transformer", AAAI 2022, §2.2) adds a discriminative objective: a second head (<c>discriminator</c>) maps the
/// hidden state of masked position i to c_i, and L_d = −(1/k) Σ_i log softmax_j(c_i · y_j)_i over the k masked
/// patches y_j of the same example; L = w_d·L_d + w_rec·L_rec (SSAST: L_d + 10·L_g). Targets y are per-patch
/// normalised (<see cref="PatchMasking.Targets"/>). Deviations, for a tiny CPU budget: linear heads where SSAST uses
/// two-layer MLPs, and random patch masking rather than SSAST's clustered masking.
/// </summary>
public sealed class MaskedPatchModel : nn.Module
{
    public const string HeadFile = "mim_head.safetensors";
    private const string BackbonePrefix = "backbone.";

    private readonly PatchTransformer backbone;
    private readonly Parameter mask_token;
    private readonly Linear decoder;
    private readonly Linear? discriminator;

    public PatchTransformer Backbone => backbone;
    public PatchTransformerConfig Config => backbone.TransformerConfig;
    /// <summary>Values per patch: channels × patch².</summary>
    public long PatchValues { get; }

    public MaskedPatchModel(PatchTransformer backbone, bool discriminative) : base(nameof(MaskedPatchModel))
    {
        var c = backbone.TransformerConfig;
        long channels = c is VitConfig v ? v.NumChannels : 1;
        PatchValues = channels * c.PatchSize * c.PatchSize;
        this.backbone = backbone;
        mask_token = new Parameter(zeros(1, 1, c.HiddenSize));
        decoder = nn.Linear(c.HiddenSize, PatchValues);
        discriminator = discriminative ? nn.Linear(c.HiddenSize, PatchValues) : null;
        RegisterComponents();
    }

    /// <summary>
    /// Losses for a batch whose masked patches are <paramref name="maskedIndices"/> [B, k] (see <see cref="PatchMasking.Sample"/>).
    /// </summary>
    public MaskedPatchLosses Losses(ModelInputs inputs, Tensor maskedIndices, MaskedPatchRecipe recipe)
    {
        var c = Config;
        long batch = inputs.BatchSize, patches = c.NumPatches, k = maskedIndices.shape[1], hidden = c.HiddenSize;
        Tensor targets;
        using (no_grad()) targets = PatchMasking.Targets(backbone.ToPlane(inputs), c);
        var boolMasked = zeros(batch, patches, dtype: ScalarType.Bool).scatter(1, maskedIndices, ones(batch, k, dtype: ScalarType.Bool));
        var states = backbone.ForwardMasked(inputs, boolMasked, mask_token).narrow(1, c.SpecialTokens, patches);
        var masked = states.gather(1, maskedIndices.unsqueeze(-1).expand(-1, -1, hidden));
        var y = targets.gather(1, maskedIndices.unsqueeze(-1).expand(-1, -1, PatchValues));
        var error = decoder.call(masked) - y;
        bool l1 = recipe.ReconstructionLoss == "l1";
        var reconstruction = l1 ? error.abs().mean() : error.pow(2).mean();
        var baseline = l1 ? y.abs().mean() : y.pow(2).mean();
        var total = reconstruction * recipe.ReconstructionWeight;
        Tensor? discriminative = null, correct = null;
        if (discriminator is not null)
        {
            var logits = bmm(discriminator.call(masked), y.transpose(1, 2)).reshape(batch * k, k);
            var own = arange(k, dtype: ScalarType.Int64).repeat(batch);
            discriminative = F.cross_entropy(logits, own);
            correct = logits.argmax(1).eq(own).sum();
            if (recipe.DiscriminativeWeight > 0) total = total + discriminative * recipe.DiscriminativeWeight;
        }
        return new MaskedPatchLosses(total, reconstruction, baseline, discriminative, correct);
    }

    /// <summary>The pretraining head (mask token, decoder, discriminator): what <see cref="HeadFile"/> holds.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> HeadState() =>
        state_dict().Where(kv => !kv.Key.StartsWith(BackbonePrefix, StringComparison.Ordinal));

    /// <summary>A shipped model folder (backbone + <see cref="HeadFile"/>) as trained, for held-out evaluation.</summary>
    public static MaskedPatchModel Load(string folder)
    {
        var backbone = HfVisionLoader.Load(folder).Model;
        var (head, _) = Safetensors.Read(Path.Combine(folder, HeadFile));
        var model = new MaskedPatchModel(backbone, head.ContainsKey("discriminator.weight"));
        var target = model.HeadState().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        if (!target.Keys.Order(StringComparer.Ordinal).SequenceEqual(head.Keys.Order(StringComparer.Ordinal)))
            throw new InvalidDataException($"{folder}/{HeadFile}: keys {string.Join(", ", head.Keys.Order())}, expected {string.Join(", ", target.Keys.Order())}.");
        using (no_grad())
            foreach (var (name, value) in head)
            {
                if (!value.shape.SequenceEqual(target[name].shape))
                    throw new InvalidDataException($"{folder}/{HeadFile}: {name} is [{string.Join(", ", value.shape)}], the model's [{string.Join(", ", target[name].shape)}].");
                target[name].copy_(value);
            }
        return model;
    }
}
