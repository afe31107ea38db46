using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Core.Sites;

/// <summary>
/// A linear projection with an empty adapter slot. TorchSharp cannot replace a registered submodule, so every
/// projection of a backbone is built as one of these and methods attach <see cref="LinearAdapter"/>s to it.
/// Parameters keep Hugging Face names (<c>weight</c>, <c>bias</c>) so checkpoints load unchanged; an adapter is
/// registered under its own name (e.g. <c>query.lora.lora_A</c>).
/// </summary>
public sealed class AdaptableLinear : nn.Module<Tensor, Tensor>
{
    private readonly List<LinearAdapter> adapters = new();
    private readonly List<string> adapterNames = new();

    public Parameter weight;
    public Parameter? bias;

    /// <summary>Role of this projection (<see cref="SiteRoles"/>), the contract methods select by.</summary>
    public string Role { get; }

    /// <summary>
    /// Every role this projection serves: <see cref="Role"/> alone, except for fused projections such as GPT-2's
    /// <c>c_attn</c> (<see cref="SiteRoles.FusedQkv"/>, also selected by <c>attn.q</c>/<c>attn.k</c>/<c>attn.v</c>, as
    /// huggingface/peft targets <c>c_attn</c> where other families get <c>q_proj,v_proj</c>).
    /// </summary>
    public IReadOnlyList<string> Roles { get; }

    /// <summary>
    /// True where the Hugging Face checkpoint stores this weight transposed, as [in, out] (GPT-2's <c>Conv1D</c>).
    /// The module always holds W as [out, in], so every method sees one layout; loaders and writers transpose.
    /// </summary>
    public bool CheckpointTransposed { get; }

    /// <summary>Transformer block index, or −1 outside the blocks (e.g. the head).</summary>
    public int LayerIndex { get; }

    /// <summary>Hugging Face module path (e.g. <c>encoder.layer.0.attention.self.query</c>); set by the backbone.</summary>
    public string Path { get; internal set; } = "";

    public long InFeatures { get; }
    public long OutFeatures { get; }
    public bool IsMerged { get; private set; }
    public IReadOnlyList<LinearAdapter> Adapters => adapters;

    /// <summary>
    /// The type the base product W₀x + b is computed in; null (the default) computes it in the weight's own type.
    /// TorchSharp 0.107 has no autocast, so mixed precision is emulated here with torch.autocast's rule for
    /// <c>linear</c>: input, weight and bias are cast to this type for the product only. The stored weights stay in
    /// their own type (master weights; gradients flow back through the casts), and the product is cast back to the
    /// input's type, so adapters, norms, softmax and the loss keep full precision.
    /// </summary>
    public ScalarType? BaseComputeType { get; set; }

    public AdaptableLinear(long inFeatures, long outFeatures, string role, int layerIndex, bool hasBias = true, Device? device = null,
        bool checkpointTransposed = false, ScalarType? dtype = null)
        : base(nameof(AdaptableLinear))
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Role = role;
        Roles = role == SiteRoles.FusedQkv ? [role, SiteRoles.Query, SiteRoles.Key, SiteRoles.Value] : [role];
        CheckpointTransposed = checkpointTransposed;
        LayerIndex = layerIndex;
        // Same initialisation as torch.nn.Linear; pretrained weights overwrite it when loaded.
        weight = new Parameter(empty(outFeatures, inFeatures, dtype: dtype, device: device));
        nn.init.kaiming_uniform_(weight, Math.Sqrt(5));
        if (hasBias)
        {
            bias = new Parameter(empty(outFeatures, dtype: dtype, device: device));
            var bound = 1.0 / Math.Sqrt(inFeatures);
            nn.init.uniform_(bias, -bound, bound);
        }
        RegisterComponents();
    }

    /// <summary>Attaches an adapter under <paramref name="name"/>; its parameters become part of this module.</summary>
    public void Attach(string name, LinearAdapter adapter)
    {
        if (adapterNames.Contains(name))
            throw new InvalidOperationException($"{Path}: an adapter named '{name}' is already attached.");
        if (IsMerged)
            throw new InvalidOperationException($"{Path}: unmerge before attaching another adapter.");
        register_module(name, adapter);
        adapters.Add(adapter);
        adapterNames.Add(name);
    }

    /// <summary>
    /// The quantized form W₀ is held in (QLoRA's NF4, PEQA's integer codes), or null while W₀ is the float <see cref="weight"/>.
    /// </summary>
    public QuantizedWeight? Quantized { get; private set; }

    /// <summary>
    /// Replaces the float W₀ by <paramref name="quantized"/>, registered under <paramref name="name"/>: forward dequantizes
    /// it on every call, and the float weight's storage is freed. The <see cref="weight"/> parameter stays registered with its
    /// logical shape (parameter counts, names and the state dict's keys are unchanged) but reads as zeros from a single
    /// shared element; read W₀ through <see cref="BaseWeight"/>. Merging materialises the dequantized weight (see <see cref="Merge"/>).
    /// </summary>
    public void Quantize(string name, QuantizedWeight quantized)
    {
        if (Quantized is not null) throw new InvalidOperationException($"{Path}: the base weight is already quantized.");
        if (IsMerged || adapters.Count > 0) throw new InvalidOperationException($"{Path}: quantize the base weight before attaching or merging adapters.");
        if (quantized.OutFeatures != OutFeatures || quantized.InFeatures != InFeatures)
            throw new ArgumentException($"{Path}: a quantized [{quantized.OutFeatures}, {quantized.InFeatures}] weight cannot replace [{OutFeatures}, {InFeatures}].");
        register_module(name, quantized);
        Quantized = quantized;
        FreeFloatWeight();
    }

    /// <summary>W₀ as a float matrix: the weight itself, or its dequantized form while the base is quantized and unmerged.</summary>
    public Tensor BaseWeight() => Quantized is not null && !IsMerged ? Quantized.Dequantize().to(weight.dtype) : weight;

    /// <summary>Points the weight at one zero element broadcast to [out, in]: the float storage is released, the shape kept.</summary>
    private void FreeFloatWeight()
    {
        using var _ = no_grad();
        using var placeholder = zeros(1, dtype: weight.dtype, device: weight.device);
        using var broadcast = placeholder.expand(OutFeatures, InFeatures);
        weight.set_(broadcast);
    }

    public override Tensor forward(Tensor input)
    {
        // A bias-free layer holds the bias deltas it merged (SSF's shift) outside its parameters, so its state dict is unchanged.
        var effectiveBias = IsMerged ? bias ?? mergedBias : bias;
        var w = BaseWeight();
        var output = BaseComputeType is { } type
            ? F.linear(input.to(type), w.to(type), effectiveBias?.to(type)).to(input.dtype)
            : F.linear(input, w, effectiveBias);
        if (IsMerged) return output;
        foreach (var adapter in adapters)
            output = adapter.Adapt(input, output, this);
        return output;
    }

    /// <summary>
    /// Folds every adapter's ΔW (and Δb, for the adapters that change the bias) into W₀ and b₀, so inference runs at
    /// the base model's cost. All deltas are computed from the unmerged weights before any is added (reparameterising
    /// adapters such as DoRA or OFT read W₀), and W₀ and b₀ are kept so that <see cref="Unmerge"/> restores them bit
    /// for bit rather than by subtraction.
    /// </summary>
    public void Merge()
    {
        if (IsMerged || adapters.Count == 0) return;
        foreach (var adapter in adapters)
            if (!adapter.CanMerge) throw new InvalidOperationException($"{Path}: {adapter.GetType().Name} cannot be merged.");
        using var _ = no_grad();
        if (Quantized is not null)
        {
            // Materialised first, so that an adapter reading the host's weight for its delta sees the dequantized W₀.
            using var dequantized = Quantized.Dequantize().to(weight.dtype);
            weight.set_(dequantized.contiguous());
        }
        var deltas = adapters.Select(a => a.DeltaWeight(this).detach()).ToList();
        var biasDeltas = adapters.Select(a => a.DeltaBias(this)?.detach()).OfType<Tensor>().ToList();
        if (Quantized is null) unmergedWeight = weight.detach().clone();
        foreach (var delta in deltas)
            using (delta) weight.add_(delta);
        if (biasDeltas.Count > 0)
        {
            if (bias is not null) unmergedBias = bias.detach().clone().DetachFromDisposeScope();
            else mergedBias = zeros(OutFeatures, dtype: weight.dtype, device: weight.device).DetachFromDisposeScope();
            var target = bias ?? mergedBias!;
            foreach (var delta in biasDeltas)
                using (delta) target.add_(delta);
        }
        IsMerged = true;
    }

    /// <summary>Restores W₀ and b₀ exactly (the copies kept by <see cref="Merge"/>).</summary>
    public void Unmerge()
    {
        if (!IsMerged) return;
        using var _ = no_grad();
        if (Quantized is not null) FreeFloatWeight();
        else
        {
            weight.copy_(unmergedWeight!);
            unmergedWeight!.Dispose();
            unmergedWeight = null;
        }
        if (unmergedBias is not null)
        {
            bias!.copy_(unmergedBias);
            unmergedBias.Dispose();
            unmergedBias = null;
        }
        mergedBias?.Dispose();
        mergedBias = null;
        IsMerged = false;
    }

    // Not registered (plain fields set after construction): merge state, never part of the state dict.
    private Tensor? unmergedWeight;
    private Tensor? unmergedBias;
    private Tensor? mergedBias;
}
