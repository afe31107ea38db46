using PeftBench.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Core.Methods;

/// <summary>
/// Which backbone families each method applies to, asked of the methods themselves
/// (<see cref="IPeftMethod.NotApplicableReason"/>) on one built-in architecture per family, built shape-only on the
/// meta device (no weights), so <c>list methods</c> can say it without loading anything.
/// </summary>
public sealed class MethodApplicability
{
    /// <summary>One architecture per family the harness builds: BERT-style encoder, GPT-2, LLaMA, ViT, AST.</summary>
    public static readonly IReadOnlyList<string> ReferenceArchitectures =
        ["bert-base-uncased", "gpt2", "llama-3.2-1b", "vit-base-patch16-224", "ast-base"];

    private readonly Dictionary<string, List<(string Architecture, string? Reason)>> byMethod;

    private MethodApplicability(Dictionary<string, List<(string, string?)>> byMethod) { this.byMethod = byMethod; }

    public static MethodApplicability OnReferenceArchitectures(IEnumerable<IPeftMethod> methods)
    {
        var meta = new Device(DeviceType.META);
        var sites = ReferenceArchitectures.Select(name =>
        {
            var architecture = BuiltInArchitectures.All.Get(name);
            return (name, SequenceClassifier.Headless(BackboneFamilies.Build(architecture.ConfigJson, name, meta)).Sites);
        }).ToList();
        return new MethodApplicability(methods.ToDictionary(m => m.Id,
            m => sites.Select(s => (s.name, m.NotApplicableReason(s.Sites))).ToList()));
    }

    /// <summary>"all" or the architectures it applies to.</summary>
    public string Summary(string methodId)
    {
        var entries = byMethod[methodId];
        return entries.All(e => e.Reason is null) ? "all"
            : entries.Any(e => e.Reason is null) ? string.Join(", ", entries.Where(e => e.Reason is null).Select(e => e.Architecture))
            : "none of the built-in architectures";
    }

    public IEnumerable<(string Method, string Architecture, string Reason)> Exclusions =>
        byMethod.SelectMany(kv => kv.Value.Where(e => e.Reason is not null).Select(e => (kv.Key, e.Architecture, e.Reason!)));
}
