using PeftBench.Core.Checkpoints;
using PeftBench.Core.Models;
using static TorchSharp.torch;

namespace PeftBench.Tests.Models;

/// <summary>Writes tiny Hugging Face model folders with the project's own safetensors writer.</summary>
internal static class TinyFolders
{
    public static EncoderConfig Config => new()
    {
        VocabSize = 40, HiddenSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 32,
        MaxPositionEmbeddings = 24, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0,
    };

    /// <summary>A randomly initialised encoder (seeded) and its state dict.</summary>
    public static (BertEncoder Encoder, Dictionary<string, Tensor> State) Source(long seed)
    {
        manual_seed(seed);
        var encoder = new BertEncoder(Config);
        return (encoder, encoder.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone()));
    }

    public static string Write(string dir, IEnumerable<KeyValuePair<string, Tensor>> tensors, EncoderConfig? config = null)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), (config ?? Config).ToJson());
        Safetensors.Write(Path.Combine(dir, "model.safetensors"), tensors);
        return dir;
    }
}
