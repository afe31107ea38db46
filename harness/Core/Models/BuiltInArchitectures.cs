using System.Reflection;
using System.Text.Json.Nodes;
using PeftBench.Core.Catalogs;

namespace PeftBench.Core.Models;

/// <summary>A real architecture known by name: the values of its public Hugging Face <c>config.json</c>, no weights.</summary>
public sealed record BuiltInArchitecture(string Name, string HubId, string ModelType, string ConfigJson);

/// <summary>
/// The architectures researchers fine-tune, built in so that parameter accounting, budget fitting and planning work
/// on them without downloading anything (<c>bert-base-uncased</c> … <c>llama-7b</c>, <c>qwen2.5-3b</c>). Each is
/// the public <c>config.json</c> of its Hugging Face repository (<c>harness/Core/Models/BuiltIn/</c>, embedded);
/// classification label maps are left out because <c>--num-labels</c> decides the head.
/// </summary>
public static class BuiltInArchitectures
{
    private static readonly Lazy<Catalog<BuiltInArchitecture>> catalog = new(Load);

    public static Catalog<BuiltInArchitecture> All => catalog.Value;

    private static Catalog<BuiltInArchitecture> Load()
    {
        var assembly = typeof(BuiltInArchitectures).Assembly;
        var items = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("builtin/", StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                var json = new StreamReader(stream).ReadToEnd();
                var node = JsonNode.Parse(json)!.AsObject();
                var name = n["builtin/".Length..^".json".Length];
                return new BuiltInArchitecture(name, node["_name_or_path"]?.GetValue<string>() ?? name,
                    node["model_type"]!.GetValue<string>(), json);
            });
        return new Catalog<BuiltInArchitecture>("built-in architecture", items, a => a.Name);
    }
}
