using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Sites;

/// <summary>
/// A method's edit of the hidden states a block outputs (the residual stream between blocks): ReFT's interventions at
/// chosen positions, VPT-deep's per-layer prompt tokens.
/// </summary>
public abstract class HiddenStateIntervention : nn.Module
{
    protected HiddenStateIntervention(string name) : base(name) { }

    /// <param name="hidden">[B, T, d] output of the block.</param>
    /// <param name="tokenMask">[B, T], 1 for real tokens (padding 0), or null when every position is real (images, spectrograms).</param>
    /// <returns>[B, T, d].</returns>
    public abstract Tensor Intervene(Tensor hidden, Tensor? tokenMask);
}

/// <summary>
/// The output of block <see cref="LayerIndex"/>, after its last residual add (and, post-norm, its LayerNorm): pyreft's
/// <c>block_output</c>. Empty, it is the identity; interventions run in attachment order. Decoders call it on the
/// prompt's forward pass only, not on the tokens a cached generation step appends.
/// </summary>
public sealed class HiddenStateSite : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly List<HiddenStateIntervention> interventions = new();
    private readonly List<string> names = new();

    public int LayerIndex { get; }
    public long Width { get; }
    public string Path { get; internal set; } = "";
    public IReadOnlyList<HiddenStateIntervention> Interventions => interventions;

    public HiddenStateSite(int layerIndex, long width) : base(nameof(HiddenStateSite))
    {
        LayerIndex = layerIndex;
        Width = width;
        RegisterComponents();
    }

    public void Attach(string name, HiddenStateIntervention intervention)
    {
        if (names.Contains(name)) throw new InvalidOperationException($"{Path}: '{name}' is already attached.");
        register_module(name, intervention);
        interventions.Add(intervention);
        names.Add(name);
    }

    public override Tensor forward(Tensor hidden, Tensor? tokenMask)
    {
        var h = hidden;
        foreach (var i in interventions) h = i.Intervene(h, tokenMask);
        return h;
    }
}
