using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>How to build one family of backbones from a Hugging Face <c>config.json</c>, on any device (meta included).</summary>
public sealed record BackboneFamily(string Name, IReadOnlyList<string> ModelTypes, Func<string, string, Device, Backbone> Build);

/// <summary>
/// Every backbone family, one line each, selected by <c>model_type</c>. Building on the meta device gives the exact
/// module tree (names, shapes, sites) with no memory, which is how <c>params</c> counts a 7B model in seconds.
/// </summary>
public static class BackboneFamilies
{
    public static readonly IReadOnlyList<BackboneFamily> All =
    [
        new("encoder", ["bert", "roberta"], (json, source, device) => new BertEncoder(EncoderConfig.FromJson(json, source), device)),
        new("decoder", ["gpt2", "llama", "mistral", "qwen2"], (json, source, device) => DecoderBackbones.Create(DecoderConfig.FromJson(json, source), device)),
        new("vit", [VitConfig.Type, AstConfig.Type], (json, source, device) => HfVisionLoader.Create(HfVisionLoader.ConfigFromJson(json, source), device)),
    ];

    public static IEnumerable<string> ModelTypes => All.SelectMany(f => f.ModelTypes);

    /// <summary>The backbone a config.json describes, randomly initialised (or shape-only on the meta device).</summary>
    public static Backbone Build(string configJson, string source, Device device)
    {
        var modelType = JsonNode.Parse(configJson)?["model_type"]?.GetValue<string>()
            ?? throw new InvalidDataException($"{source}: config.json has no model_type.");
        var family = All.FirstOrDefault(f => f.ModelTypes.Contains(modelType))
            ?? throw new NotSupportedException($"{source}: model_type '{modelType}' is not a family PeftBench builds (known: {string.Join(", ", ModelTypes)}).");
        return family.Build(configJson, source, device);
    }
}
