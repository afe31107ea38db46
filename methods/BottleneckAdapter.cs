// The bottleneck block shared by the adapter methods (Houlsby et al., ICML 2019, §2.1; Pfeiffer et al., EACL 2021;
// He et al., ICLR 2022; Chen et al., NeurIPS 2022):
//     Δ(x) = s · (W_up f(W_down x + b_down) + b_up),   W_down ∈ ℝ^{m×d}, W_up ∈ ℝ^{d×m}
// placed serially (h ← h + Δ(h), Houlsby, Pfeiffer) or in parallel with a sublayer (h ← sublayer(x) + Δ(x), the
// parallel adapter, AdaptFormer). What differs between the papers is the position, f, s and the initialisation.

using PeftBench.Core.Methods;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

public enum AdapterActivation { Swish, Gelu, Relu, Tanh }

/// <summary>How a bottleneck's weights start; every bias starts at 0.</summary>
public enum BottleneckInit
{
    /// <summary>Houlsby: W_down ~ N(0, 10⁻²) truncated at ±2σ, W_up = 0: exactly the identity at init.</summary>
    NearIdentity,
    /// <summary>adapters' <c>init_weights="bert"</c> (SeqBnConfig's default): both weights N(0, 0.02²); the output changes at init.</summary>
    Bert,
    /// <summary>adapters' <c>"mam_adapter"</c>, AdaptFormer's <c>"lora"</c>: W_down Kaiming-uniform (a = √5), W_up = 0.</summary>
    Lora,
}

/// <summary>
/// h + s·W_up f(W_down x + b_down) + s·b_up, with x = h (serial: the residual is inside the adapter, as in Houlsby's
/// Figure 2) or x = the sublayer's input (parallel: <see cref="SublayerInput"/>). Raw parameters rather than nn.Linear,
/// whose constructor would draw its own init from the global generator.
/// </summary>
public sealed class BottleneckAdapter : nn.Module<Tensor, Tensor>
{
    public Parameter down_weight;
    public Parameter down_bias;
    public Parameter up_weight;
    public Parameter up_bias;
    private readonly Dropout? dropout;
    private readonly AdapterActivation activation;
    private readonly double scaling;
    private readonly SublayerInput? parallelInput;

    // Φ(−2) and Φ(2): the normal CDF at the truncation points ±2σ.
    private const double LowerCdf = 0.022750131948179195;
    private const double UpperCdf = 0.9772498680518208;

    /// <param name="scaling">s, applied to the up projection's output (He et al.'s scaled addition; 1 for the serial adapters).</param>
    /// <param name="dropout">Dropout on the bottleneck activations (AdaptFormer's released code: 0.1); none at 0.</param>
    /// <param name="parallelInput">Where the branch reads its input; null for a serial adapter, which reads h itself.</param>
    public BottleneckAdapter(long width, long bottleneck, AdapterActivation activation, MethodContext context,
        BottleneckInit init = BottleneckInit.NearIdentity, double scaling = 1.0, double dropout = 0.0, SublayerInput? parallelInput = null)
        : base(nameof(BottleneckAdapter))
    {
        this.activation = activation;
        this.scaling = scaling;
        this.parallelInput = parallelInput;
        if (dropout > 0) this.dropout = nn.Dropout(dropout);
        using (no_grad())
        {
            down_weight = new Parameter(init switch
            {
                // Truncated normal N(0, 10⁻²) on [−2σ, 2σ] by inverse CDF (as torch.nn.init.trunc_normal_), seeded.
                BottleneckInit.NearIdentity => context.Rand(bottleneck, width).mul_(UpperCdf - LowerCdf).add_(LowerCdf)
                    .mul_(2).sub_(1).erfinv_().mul_(Math.Sqrt(2) * 1e-2),
                BottleneckInit.Bert => context.Randn(bottleneck, width).mul_(0.02),
                // kaiming_uniform_(a = √5) on [m, d]: U(−1/√d, 1/√d).
                _ => context.Rand(bottleneck, width).mul_(2 / Math.Sqrt(width)).sub_(1 / Math.Sqrt(width)),
            });
            up_weight = new Parameter(init == BottleneckInit.Bert
                ? context.Randn(width, bottleneck).mul_(0.02)
                : zeros(width, bottleneck, device: context.Device));
        }
        down_bias = new Parameter(zeros(bottleneck, device: context.Device));
        up_bias = new Parameter(zeros(width, device: context.Device));
        RegisterComponents();
    }

    /// <summary>Adds Δ(x) to <paramref name="hidden"/>: at a residual site, the sublayer's output before the residual add.</summary>
    public override Tensor forward(Tensor hidden) => hidden + Delta(hidden);

    /// <summary>
    /// Δ(x) = s·(W_up f(W_down x + b_down) + b_up), x being <paramref name="hidden"/> (serial) or the sublayer's input
    /// (parallel): the block's contribution alone, which UniPELT multiplies by its gate before adding.
    /// </summary>
    public Tensor Delta(Tensor hidden)
    {
        var x = parallelInput?.Take() ?? hidden;
        var h = F.linear(x, down_weight, down_bias);
        h = activation switch
        {
            AdapterActivation.Gelu => F.gelu(h),
            AdapterActivation.Relu => F.relu(h),
            AdapterActivation.Tanh => h.tanh(),
            _ => F.silu(h),
        };
        if (dropout is not null) h = dropout.call(h);
        var up = F.linear(h, up_weight, up_bias);
        // s = 1 skips the multiplication, so the serial adapters compute exactly what they did before s existed.
        return scaling == 1.0 ? up : up.mul(scaling);
    }
}
