using PeftBench.Core.Sites;
using TorchSharp;

namespace PeftBench.Tests.Methods;

/// <summary>A Llama-like block: projections without bias, no LayerNorm.</summary>
internal sealed class BiasFreeBlock : torch.nn.Module
{
    private readonly AdaptableLinear q_proj = new(8, 8, SiteRoles.Query, 0, hasBias: false);
    private readonly AdaptableLinear v_proj = new(8, 8, SiteRoles.Value, 0, hasBias: false);

    public BiasFreeBlock() : base(nameof(BiasFreeBlock)) => RegisterComponents();
}
