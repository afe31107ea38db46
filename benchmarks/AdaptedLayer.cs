using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Benchmarks;

/// <summary>
/// One method's adapted layer, built as a run builds it and then timed alone: a one-layer BERT encoder of the shape's
/// width, the method attached with its default settings, and the first site the method changed. That is a linear
/// projection with the method's adapter (LoRA, DoRA, OFT …), a residual site with a bottleneck (Houlsby), or a
/// projection whose own weights or biases train (full fine-tuning, BitFit). <see cref="Plain"/> is the frozen
/// projection with nothing attached, the reference every ratio is taken against. Methods that change no layer
/// (a linear probe, soft prompts) have nothing to time here.
/// </summary>
public sealed class AdaptedLayer : IDisposable
{
    public const string Plain = "plain";
    private const long Seed = 20240611;

    private readonly SequenceClassifier model;
    private readonly nn.Module<Tensor, Tensor> site;
    private readonly List<Tensor> differentiable;

    /// <summary>What is timed, e.g. <c>attn.q linear 128→128 + LoraAdapter</c>.</summary>
    public string Description { get; }
    /// <summary>The adapted projection, where the site is one (merging needs it).</summary>
    public AdaptableLinear? Linear { get; }
    public bool CanMerge => Linear is { Adapters.Count: > 0 } l && l.Adapters.All(a => a.CanMerge);
    public Tensor Input { get; }
    /// <summary>The same values as <see cref="Input"/>, requiring grad: in a network the layer below needs ∂L/∂x.</summary>
    public Tensor InputWithGrad { get; }
    public Tensor OutputGrad { get; }

    private AdaptedLayer(SequenceClassifier model, nn.Module<Tensor, Tensor> site, AdaptableLinear? linear, string description, LayerShape shape)
    {
        this.model = model;
        this.site = site;
        Linear = linear;
        Description = description;
        var generator = new Generator((ulong)Seed, CPU);
        var inFeatures = linear?.InFeatures ?? shape.Hidden;
        Input = randn([shape.Batch, shape.Tokens, inFeatures], generator: generator);
        InputWithGrad = Input.detach().clone().requires_grad_(true);
        using (no_grad()) OutputGrad = randn_like(site.call(Input));
        differentiable = [InputWithGrad, .. ParametersReached()];
    }

    /// <summary>The layer for <paramref name="method"/> (null: <see cref="Plain"/>), or null when the method adapts no layer.</summary>
    public static AdaptedLayer? TryBuild(IPeftMethod? method, LayerShape shape)
    {
        torch.manual_seed(Seed);
        var config = new EncoderConfig
        {
            VocabSize = 64, HiddenSize = shape.Hidden, NumHiddenLayers = 1, NumAttentionHeads = Math.Max(1, shape.Hidden / 64),
            IntermediateSize = 4 * shape.Hidden, MaxPositionEmbeddings = 128,
        };
        var model = new SequenceClassifier(new BertEncoder(config), 2, headDropout: 0.1);
        model.eval();
        if (method is null)
        {
            model.FreezeAll();
            var query = model.Sites.Linears.First(l => l.Role == SiteRoles.Query);
            return new AdaptedLayer(model, query, query, $"{query.Role} linear {query.InFeatures}→{query.OutFeatures}", shape);
        }
        if (method.NotApplicableReason(model.Sites) is not null || method.Validate(method.DefaultConfig, model.Sites).Any())
        {
            // Its defaults need more than the one-block probe model (LISA samples 2 of the blocks): no layer-level timing.
            model.Dispose();
            return null;
        }
        var context = new MethodContext(CPU, new Generator((ulong)Seed, CPU)) { Calibration = _ => [CalibrationBatch()] };
        method.Apply(model, method.DefaultConfig, context);
        model.eval();
        if (model.Sites.Linears.FirstOrDefault(l => l.Adapters.Count > 0) is { } adapted)
            return new AdaptedLayer(model, adapted, adapted,
                $"{adapted.Role} linear {adapted.InFeatures}→{adapted.OutFeatures} + {string.Join(" + ", adapted.Adapters.Select(a => a.GetType().Name))}", shape);
        if (model.Sites.Residuals.FirstOrDefault(r => r.Transforms.Count > 0) is { } residual)
        {
            try
            {
                return new AdaptedLayer(model, residual, null,
                    $"{residual.Role} residual site, width {residual.Width} + {string.Join(" + ", residual.Transforms.Select(t => t.GetType().Name))}", shape);
            }
            catch (InvalidOperationException)
            {
                // A parallel branch (parallel adapter, MAM) reads the sublayer's input, which only the whole block's
                // forward provides: it has no layer-level timing and is listed with the methods that adapt no layer.
                model.Dispose();
                return null;
            }
        }
        if (model.Sites.Linears.FirstOrDefault(l => l.Role != SiteRoles.Head && l.parameters().Any(p => p.requires_grad)) is { } unfrozen)
            return new AdaptedLayer(model, unfrozen, unfrozen,
                $"{unfrozen.Role} linear {unfrozen.InFeatures}→{unfrozen.OutFeatures}, trains {string.Join(" and ", unfrozen.named_parameters(recurse: false).Where(p => p.parameter.requires_grad).Select(p => p.name))}", shape);
        model.Dispose();
        return null;
    }

    /// <summary>Inference through the layer (no autograd graph).</summary>
    public void Forward()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        site.call(Input);
    }

    /// <summary>
    /// Training through the layer: forward, then the gradients with respect to the input and every trainable parameter
    /// the output depends on. <c>autograd.grad</c> returns them instead of accumulating into <c>.grad</c>, so every
    /// invocation does the same work.
    /// </summary>
    public void ForwardBackward()
    {
        using var scope = NewDisposeScope();
        var output = site.call(InputWithGrad);
        torch.autograd.grad([output], differentiable, [OutputGrad], allow_unused: true);
    }

    /// <summary>
    /// The trainable parameters the site's output depends on, found by one backward pass: the site's own, and any a method
    /// keeps outside it (a pool shared across layers), but not the rest of the model's.
    /// </summary>
    private IEnumerable<Parameter> ParametersReached()
    {
        using (var scope = NewDisposeScope()) (site.call(InputWithGrad) * OutputGrad).sum().backward();
        return model.parameters().Where(p => p.requires_grad && p.grad is not null).ToList();
    }

    private static TokenBatch CalibrationBatch()
    {
        var generator = new Generator((ulong)Seed + 1, CPU);
        var ids = randint(3, 64, [4, 16], generator: generator, dtype: ScalarType.Int64);
        return new TokenBatch(ids, ones(4, 16, dtype: ScalarType.Int64), null);
    }

    public void Dispose()
    {
        Input.Dispose();
        InputWithGrad.Dispose();
        OutputGrad.Dispose();
        model.Dispose();
    }
}
