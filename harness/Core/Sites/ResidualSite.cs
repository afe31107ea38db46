using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Sites;

/// <summary>
/// A point on a sublayer's output, before the residual add (where Houlsby, Pfeiffer and ReFT act).
/// Empty, it is the identity; attached transforms run in attachment order.
/// </summary>
public sealed class ResidualSite : nn.Module<Tensor, Tensor>
{
    private readonly List<nn.Module<Tensor, Tensor>> transforms = new();
    private readonly List<string> names = new();

    public string Role { get; }
    public int LayerIndex { get; }
    public long Width { get; }
    public string Path { get; internal set; } = "";
    public IReadOnlyList<nn.Module<Tensor, Tensor>> Transforms => transforms;

    public ResidualSite(string role, int layerIndex, long width) : base(nameof(ResidualSite))
    {
        Role = role;
        LayerIndex = layerIndex;
        Width = width;
        RegisterComponents();
    }

    public void Attach(string name, nn.Module<Tensor, Tensor> transform)
    {
        if (names.Contains(name)) throw new InvalidOperationException($"{Path}: '{name}' is already attached.");
        register_module(name, transform);
        transforms.Add(transform);
        names.Add(name);
    }

    public override Tensor forward(Tensor hidden)
    {
        var h = hidden;
        foreach (var t in transforms) h = t.call(h);
        return h;
    }
}
