using PeftBench.Core.Checkpoints;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// Saves a decoder as a Hugging Face folder: <c>config.json</c> in the family's own names and
/// <c>model.safetensors</c> under the keys and layouts <c>save_pretrained</c> writes (<c>transformer.</c> /
/// <c>model.</c> prefix, Conv1D weights back to [in, out], a tied <c>lm_head</c> left out). Weights are written as
/// float32. Adapter parameters a method attached are not part of the base model and are refused: merge or save
/// the adapter separately.
/// </summary>
public static class HfDecoderWriter
{
    /// <summary>A <c>*ForCausalLM</c> folder (loads with <see cref="HfDecoderLoader.LoadCausalLm"/> and with transformers).</summary>
    public static void Save(CausalLm model, string folder)
    {
        var prefix = model.Backbone.BaseModelPrefix + ".";
        var tensors = HfTensors(model.Backbone).Select(kv => KeyValuePair.Create(prefix + kv.Key, kv.Value)).ToList();
        if (!model.Tied) tensors.Add(KeyValuePair.Create("lm_head.weight", model.LmHeadWeight));
        Write(folder, model.Config, tensors);
    }

    /// <summary>A bare-model folder (<c>GPT2Model</c> / <c>LlamaModel</c> keys, no prefix, no head).</summary>
    public static void Save(DecoderBackbone backbone, string folder) => Write(folder, backbone.Config, HfTensors(backbone));

    /// <summary>The backbone's tensors under Hugging Face's names and layouts (Conv1D transposed back).</summary>
    public static List<KeyValuePair<string, Tensor>> HfTensors(DecoderBackbone backbone)
    {
        var transposed = HfDecoderLoader.TransposedWeights(backbone);
        // Sites hold no parameters until a method attaches something (names like "h.0.attn_residual_site.adapter…").
        var attached = backbone.Sites.Linears.Where(l => l.Adapters.Count > 0).Select(l => l.Path)
            .Concat(backbone.state_dict().Keys.Where(k => k.Contains("_site.", StringComparison.Ordinal))).ToList();
        if (attached.Count > 0)
            throw new InvalidOperationException($"method modules are attached ({string.Join(", ", attached.Take(5))}); merge them or save the adapter on its own.");
        return backbone.state_dict()
            .Select(kv => KeyValuePair.Create(kv.Key, transposed.Contains(kv.Key) ? kv.Value.t() : kv.Value))
            .ToList();
    }

    private static void Write(string folder, DecoderConfig config, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        Directory.CreateDirectory(folder);
        Safetensors.Write(Path.Combine(folder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var configPath = Path.Combine(folder, "config.json");
        File.WriteAllText(configPath + ".tmp", config.ToJson());
        File.Move(configPath + ".tmp", configPath, overwrite: true);
    }
}
