using PeftBench.Core.Catalogs;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Sites;

/// <summary>
/// Every adapter site of a model, found by walking its modules once after construction. Methods select
/// from here by role or by Hugging Face module name; backbone code never learns which method is attached.
/// </summary>
public sealed class SiteRegistry
{
    public IReadOnlyList<AdaptableLinear> Linears { get; }
    public IReadOnlyList<ResidualSite> Residuals { get; }
    public IReadOnlyList<KeyValuePrefixSite> KeyValuePrefixes { get; }
    /// <summary>One per block, on its output (ReFT, VPT-deep), in layer order.</summary>
    public IReadOnlyList<HiddenStateSite> HiddenStates { get; }
    public InputEmbeddingSite? InputEmbeddings { get; }
    /// <summary>Normalisation layers (LayerNorm/RMSNorm) by Hugging Face path, for LN-tuning and Houlsby.</summary>
    public IReadOnlyList<(string Path, nn.Module Module)> Norms { get; }
    public int LayerCount { get; }
    public long HiddenSize { get; }
    /// <summary>Parameters of the backbone when discovered, before any method attaches (full fine-tuning's count).</summary>
    public long BackboneParameters { get; }

    private SiteRegistry(List<AdaptableLinear> linears, List<ResidualSite> residuals, List<KeyValuePrefixSite> prefixes,
        List<HiddenStateSite> hiddenStates, InputEmbeddingSite? input, List<(string, nn.Module)> norms, int layerCount, long hiddenSize,
        long backboneParameters)
    {
        Linears = linears; Residuals = residuals; KeyValuePrefixes = prefixes; HiddenStates = hiddenStates; InputEmbeddings = input;
        Norms = norms; LayerCount = layerCount; HiddenSize = hiddenSize; BackboneParameters = backboneParameters;
    }

    /// <summary>Walks <paramref name="root"/> and records each site with its path relative to the root.</summary>
    public static SiteRegistry Discover(nn.Module root, int layerCount, long hiddenSize)
    {
        var linears = new List<AdaptableLinear>();
        var residuals = new List<ResidualSite>();
        var prefixes = new List<KeyValuePrefixSite>();
        var hiddenStates = new List<HiddenStateSite>();
        var norms = new List<(string, nn.Module)>();
        InputEmbeddingSite? input = null;
        foreach (var (name, module) in root.named_modules())
        {
            switch (module)
            {
                case AdaptableLinear l: l.Path = name; linears.Add(l); break;
                case ResidualSite r: r.Path = name; residuals.Add(r); break;
                case KeyValuePrefixSite p: p.Path = name; prefixes.Add(p); break;
                case HiddenStateSite h: h.Path = name; hiddenStates.Add(h); break;
                case InputEmbeddingSite i: input = i; break;
                case TorchSharp.Modules.LayerNorm or INormalization: norms.Add((name, module)); break;
            }
        }
        var backboneParameters = root.parameters().Sum(p => p.numel());
        return new SiteRegistry(linears, residuals, prefixes, hiddenStates, input, norms, layerCount, hiddenSize, backboneParameters);
    }

    /// <summary>
    /// Positions the attached key/value prefixes take in front of the text (their length where they shift position ids,
    /// see <see cref="KeyValuePrefixSite.ShiftsPositions"/>); 0 without prefixes. The text must leave room for them.
    /// </summary>
    public long PrefixPositions
    {
        get
        {
            long positions = 0;
            foreach (var site in KeyValuePrefixes)
                if (site.ShiftsPositions && site.Current is { } prefix) positions = Math.Max(positions, prefix.Length);
            return positions;
        }
    }

    /// <summary>
    /// Linears matching any target: a role (<c>attn.q</c>), a module's last name (<c>query</c>), or a glob over
    /// the full path (<c>encoder.layer.*.attention.self.query</c>). The head is never a target.
    /// </summary>
    public IReadOnlyList<AdaptableLinear> SelectLinears(IEnumerable<string> targets)
    {
        var patterns = targets.Select(t => t.Trim()).Where(t => t.Length > 0).ToList();
        return Linears.Where(l => l.Role != SiteRoles.Head && patterns.Any(p => l.Roles.Any(role => Matches(role, l.Path, p)))).ToList();
    }

    public IReadOnlyList<ResidualSite> SelectResiduals(params string[] roles) =>
        Residuals.Where(r => roles.Contains(r.Role)).ToList();

    /// <summary>
    /// The projection that receives the input of the sublayer whose output <paramref name="site"/> adapts: the MLP's
    /// up projection, or the attention's query (GPT-2's fused c_attn); null for other roles.
    /// </summary>
    public AdaptableLinear? InputProjectionOf(ResidualSite site)
    {
        var role = site.Role switch
        {
            SiteRoles.AfterMlp => SiteRoles.MlpUp,
            SiteRoles.AfterAttention => SiteRoles.Query,
            _ => null,
        };
        return role is null ? null : Linears.FirstOrDefault(l => l.LayerIndex == site.LayerIndex && l.Roles.Contains(role));
    }

    /// <summary>Every <see cref="NormAdapter"/> attached to the model's norms.</summary>
    public IEnumerable<NormAdapter> NormAdapters() => Norms.SelectMany(n => NormAdapter.On(n.Module));

    private static bool Matches(string role, string path, string pattern)
    {
        if (pattern == role || pattern == path) return true;
        var last = path[(path.LastIndexOf('.') + 1)..];
        if (pattern == last) return true;
        return Glob.IsGlob(pattern) && Glob.Matches(pattern, path);
    }
}

/// <summary>Marks a normalisation module that is not a TorchSharp LayerNorm (LLaMA's RMSNorm), so LN-tuning finds it.</summary>
public interface INormalization { }
