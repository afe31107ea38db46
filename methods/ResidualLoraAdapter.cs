using PeftBench.Core.Checkpoints;
using PeftBench.Core.Methods;
using PeftBench.Core.Sites;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

/// <summary>
/// The adapter of the initialisations that split W₀ into a frozen residual and a trainable low-rank part
/// (PiSSA, MiLoRA, OLoRA, CorDA): W₀ = W_res + s·B₀A₀, h = W_res x + s·B A x with (A, B) starting at (A₀, B₀).
/// <para>
/// How the residual replaces W₀: the host keeps W₀ untouched and this adapter keeps frozen copies of the initial
/// factors (buffers <c>lora_A_init</c>, <c>lora_B_init</c>), computing h = W₀x + s·(B A x̃ − B₀A₀ x), which is
/// W_res x + s·B A x̃ exactly in exact arithmetic (x̃ = dropout(x); the residual sees no dropout, as in peft).
/// At init the two low-rank products are computed by the same kernels on the same values, so the output equals
/// the base model's bit for bit. Nothing in the backbone is rewritten, so merge folds ΔW = s·(BA − B₀A₀) into W₀,
/// unmerge restores W₀, and the base checkpoint stays valid. It is also peft's own conversion of a PiSSA/OLoRA
/// adapter for saving (a plain LoRA delta of rank 2r: [B | −B₀]·[A; A₀]). The cost is one more rank-r product
/// per forward and 2r(d_in + d_out) frozen elements per target.
/// </para>
/// </summary>
public sealed class ResidualLoraAdapter : LoraAdapter
{
    public Tensor lora_A_init;
    public Tensor lora_B_init;

    /// <summary>Starts (A, B) at (<paramref name="a"/>, <paramref name="b"/>), whose s·BA is the part of W₀ handed to training.</summary>
    public ResidualLoraAdapter(Tensor a, Tensor b, double scaling, double dropoutProbability)
        : base(a.detach().clone(), b.detach().clone(), scaling, dropoutProbability)
    {
        lora_A_init = a.detach().clone().DetachFromDisposeScope();
        lora_B_init = b.detach().clone().DetachFromDisposeScope();
        register_buffer("lora_A_init", lora_A_init);
        register_buffer("lora_B_init", lora_B_init);
    }

    public override Tensor Adapt(Tensor input, Tensor baseOutput, AdaptableLinear host)
    {
        var initial = F.linear(F.linear(input, lora_A_init), lora_B_init).mul(Scaling);
        return baseOutput + (LowRank(Dropped(input)) - initial);
    }

    public override Tensor DeltaWeight(AdaptableLinear host) => LowRankWeight() - lora_B_init.mm(lora_A_init).mul(Scaling);

    /// <summary>
    /// peft's conversion for saving: A' = [A; A₀], B' = [B | −B₀] (rank 2r; lora_alpha doubles so the scaling stays
    /// α/r), a plain LoRA delta on the untouched W₀ that equals W_res + s·BA. Loading splits it back exactly.
    /// </summary>
    public override IReadOnlyDictionary<string, Tensor> ToPeft() => new Dictionary<string, Tensor>
    {
        ["lora_A.weight"] = cat(new[] { lora_A.detach(), lora_A_init }, 0),
        ["lora_B.weight"] = cat(new[] { lora_B.detach(), lora_B_init.neg() }, 1),
    };

    public override void LoadPeft(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var a = Saved(tensors, "lora_A.weight");
        var b = Saved(tensors, "lora_B.weight");
        var r = lora_A.shape[0];
        if (a.shape[0] != 2 * r || b.ndim != 2 || b.shape[1] != 2 * r)
            throw new InvalidDataException($"a residual-split adapter of rank {r} is saved at rank {2 * r}; got lora_A [{string.Join(", ", a.shape)}].");
        PeftAdapterCheckpoint.CopyInto(lora_A, a.narrow(0, 0, r), "lora_A.weight[:r]");
        PeftAdapterCheckpoint.CopyInto(lora_A_init, a.narrow(0, r, r), "lora_A.weight[r:]");
        PeftAdapterCheckpoint.CopyInto(lora_B, b.narrow(1, 0, r), "lora_B.weight[:, :r]");
        PeftAdapterCheckpoint.CopyInto(lora_B_init, b.narrow(1, r, r).neg(), "lora_B.weight[:, r:]");
    }

    /// <summary>
    /// PiSSA / MiLoRA factors from W = U S Vᵀ (computed in float64): B = U_r (S_r/s)^½, A = (S_r/s)^½ V_rᵀ over the
    /// r largest (<paramref name="largest"/>) or smallest singular triplets, so that s·BA is exactly that part
    /// of W (peft divides S by the scaling the same way). Deterministic: no randomness, W alone decides.
    /// </summary>
    public static ResidualLoraAdapter FromSvd(Tensor weight, LoraConfig config, bool largest)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (u, s, vh) = linalg.svd(weight.detach().to_type(ScalarType.Float64), fullMatrices: false);
        return FromComponents(u, s, vh, config, largest, weight.dtype);
    }

    /// <summary>
    /// The adapter for r of the components W = U diag(S) Vh (U [d_out, k], S [k] descending, Vh [k, d_in]):
    /// the first r (<paramref name="largest"/>) or the last r, as B = U_r (S_r/s)^½ and A = (S_r/s)^½ Vh_r so that
    /// s·BA is exactly those components (PiSSA, MiLoRA, CorDA all use this form).
    /// </summary>
    public static ResidualLoraAdapter FromComponents(Tensor u, Tensor s, Tensor vh, LoraConfig config, bool largest, ScalarType dtype)
    {
        var scaling = config.Alpha / config.Rank;
        Tensor a, b;
        using (NewDisposeScope())
        using (no_grad())
        {
            var from = largest ? 0 : s.shape[0] - config.Rank;
            var root = s.narrow(0, from, config.Rank).div(scaling).sqrt();
            b = (u.narrow(1, from, config.Rank) * root.unsqueeze(0)).to_type(dtype).MoveToOuterDisposeScope();
            a = (root.unsqueeze(1) * vh.narrow(0, from, config.Rank)).to_type(dtype).MoveToOuterDisposeScope();
        }
        return new ResidualLoraAdapter(a, b, scaling, config.Dropout);
    }

    /// <summary>
    /// OLoRA factors from W = Q R (computed in float64): B = Q_{:, :r}, A = R_{:r, :} (orthonormal B), and the
    /// residual W − s·BA, as peft's <c>olora_init</c> (no division by s there). Deterministic.
    /// </summary>
    public static ResidualLoraAdapter FromQr(Tensor weight, LoraConfig config)
    {
        Tensor a, b;
        using (NewDisposeScope())
        using (no_grad())
        {
            var (q, r) = linalg.qr(weight.detach().to_type(ScalarType.Float64));
            b = q.narrow(1, 0, config.Rank).to_type(weight.dtype).contiguous().MoveToOuterDisposeScope();
            a = r.narrow(0, 0, config.Rank).to_type(weight.dtype).contiguous().MoveToOuterDisposeScope();
        }
        return new ResidualLoraAdapter(a, b, config.Alpha / config.Rank, config.Dropout);
    }
}
