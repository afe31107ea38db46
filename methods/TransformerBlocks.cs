// The transformer blocks of a backbone, as layer-selection methods (LISA, HFT) see them: for each block index, its
// projections and its norms, read from the adapter sites. A block is named by the path of its linears up to the
// layer index (BERT "encoder.layer.3", GPT-2 "h.3", LLaMA "layers.3"); its norms are the norms under that path.
// Everything else in the backbone (embeddings, a final norm, a pooler) is outside the blocks.

using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Methods;

/// <summary>One transformer block: its projections (weight and bias) and its norms (their own weight and bias).</summary>
public sealed record TransformerBlock(int Index, string Path, IReadOnlyList<AdaptableLinear> Linears, IReadOnlyList<(string Path, nn.Module Module)> Norms)
{
    /// <summary>The block's backbone parameters; adapters attached to its sites are not included.</summary>
    public IEnumerable<Parameter> Parameters() =>
        Linears.SelectMany(LinearParameters).Concat(Norms.SelectMany(n => NormParameters(n.Module)));

    public long ParameterCount => Parameters().Sum(p => p.numel());

    public static IEnumerable<Parameter> LinearParameters(AdaptableLinear linear)
    {
        yield return linear.weight;
        if (linear.bias is { } bias) yield return bias;
    }

    /// <summary>A norm's own γ (and β); a NormAdapter attached under it is a child module and is left out.</summary>
    public static IEnumerable<Parameter> NormParameters(nn.Module norm) => norm.named_parameters(recurse: false).Select(p => p.parameter);

    /// <summary>The blocks in layer order; empty when the backbone's linears carry no layer index.</summary>
    public static IReadOnlyList<TransformerBlock> Of(SiteRegistry sites)
    {
        var blocks = new List<TransformerBlock>();
        foreach (var group in sites.Linears.Where(l => l.LayerIndex >= 0 && l.Role != SiteRoles.Head).GroupBy(l => l.LayerIndex).OrderBy(g => g.Key))
        {
            var segments = group.First().Path.Split('.');
            var at = Array.IndexOf(segments, group.Key.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (at < 0) continue;
            var path = string.Join('.', segments[..(at + 1)]);
            var norms = sites.Norms.Where(n => n.Path.StartsWith(path + ".", StringComparison.Ordinal)).ToList();
            blocks.Add(new TransformerBlock(group.Key, path, group.ToList(), norms));
        }
        return blocks;
    }

    /// <summary>Why the blocks cannot be selected as whole units of equal size; null when they can.</summary>
    public static string? EqualBlocksProblem(IReadOnlyList<TransformerBlock> blocks)
    {
        if (blocks.Count == 0) return "this backbone has no transformer blocks with a layer index to select from.";
        var sizes = blocks.Select(b => b.ParameterCount).Distinct().ToList();
        return sizes.Count == 1 ? null : $"its transformer blocks differ in size ({string.Join(", ", sizes)} parameters), so the count of a selection would depend on the draw.";
    }

    /// <summary>Backbone parameters outside every block (embeddings, final norm, pooler), by handle.</summary>
    public static IReadOnlyList<Parameter> Outside(nn.Module backbone, IReadOnlyList<TransformerBlock> blocks)
    {
        var inside = blocks.SelectMany(b => b.Parameters()).Select(p => p.Handle).ToHashSet();
        return backbone.parameters().Where(p => !inside.Contains(p.Handle)).ToList();
    }

    /// <summary>A System.Random seeded from the cell's generator: every draw of a layer schedule comes from the cell seed.</summary>
    public static Random SeededRandom(Generator generator)
    {
        using var draw = randint(int.MaxValue, new long[] { 1 }, generator: generator, dtype: ScalarType.Int64);
        return new Random((int)draw.item<long>());
    }
}
