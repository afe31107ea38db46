using static TorchSharp.torch;

namespace PeftBench.Core.Sites;

/// <summary>
/// The input of a sublayer, read where its output is adapted: a parallel branch (He et al.'s parallel adapter,
/// AdaptFormer) computes f(x) from the input x of the feed-forward (or attention) sublayer and adds it to the
/// sublayer's output at its <see cref="ResidualSite"/>, before the residual add. x is what the sublayer's first
/// projection receives (<see cref="SiteRegistry.InputProjectionOf"/>: after the pre-norm in pre-LN blocks), taken by
/// a forward hook on that projection and handed over once per forward pass, so every backbone gets the branch
/// without a site of its own.
/// </summary>
public sealed class SublayerInput
{
    private Tensor? pending;
    private readonly string projectionPath;

    private SublayerInput(string projectionPath) { this.projectionPath = projectionPath; }

    /// <summary>Starts reading the input of the sublayer whose output <paramref name="site"/> adapts.</summary>
    public static SublayerInput Tap(SiteRegistry sites, ResidualSite site)
    {
        var projection = sites.InputProjectionOf(site)
            ?? throw new InvalidOperationException($"{site.Path}: no input projection found for a '{site.Role}' site in layer {site.LayerIndex}.");
        var tap = new SublayerInput(projection.Path);
        projection.register_forward_hook((_, input, output) =>
        {
            tap.pending = input;
            return output;
        });
        return tap;
    }

    /// <summary>The input of the current forward pass; each one is taken once.</summary>
    public Tensor Take()
    {
        var x = pending ?? throw new InvalidOperationException(
            $"{projectionPath} did not run before its sublayer's residual site in this forward pass; the parallel branch has no input.");
        pending = null;
        return x;
    }
}
