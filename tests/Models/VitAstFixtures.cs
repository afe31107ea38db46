using System.Text.Json.Nodes;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using static TorchSharp.torch;

namespace PeftBench.Tests.Models;

/// <summary>
/// Paths into tests/fixtures/hf (made with transformers 5.17 / torch 2.11 / torchaudio 2.11, see its README) and small
/// helpers shared by the ViT, AST and log-mel tests.
/// </summary>
internal static class VitAstFixtures
{
    public static string Hf(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "fixtures", "hf", .. parts]);

    public static Dictionary<string, Tensor> Reference(string model) => Safetensors.Read(Hf("models", model, "reference.safetensors")).Tensors;

    /// <summary>The keys fixture: [name, shape] of the base model as transformers 5 names it in memory, and its counts.</summary>
    public static (List<(string Name, long[] Shape)> Keys, JsonObject Root) Keys(string name)
    {
        var root = JsonNode.Parse(File.ReadAllText(Hf("keys", name + ".json")))!.AsObject();
        var keys = root["keys"]!.AsArray()
            .Select(k => (k![0]!.GetValue<string>(), k[1]!.AsArray().Select(s => s!.GetValue<long>()).ToArray())).ToList();
        return (keys, root);
    }

    public static float MaxAbsDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    public static Dictionary<string, long[]> Shapes(nn.Module m) => m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);

    public static long Count(nn.Module m) => m.parameters().Sum(p => p.numel());

    public static VitConfig TinyVit => new()
    {
        HiddenSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 24, ImageSize = 16, PatchSize = 8, NumChannels = 3,
    };

    public static AstConfig TinyAst => new()
    {
        HiddenSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 24, NumMelBins = 24, MaxLength = 40,
    };

    /// <summary>Inserts <paramref name="count"/> constant tokens after position 0 and remembers what it was given.</summary>
    public sealed class RecordingPrompt(long width, long count) : InputEmbeddingTransform("prompt")
    {
        public Tensor? Seen { get; private set; }
        public override long AddedPositions => count;

        public override (Tensor Embeddings, Tensor AttentionMask) Transform(Tensor embeddings, Tensor attentionMask)
        {
            Seen = embeddings.detach().clone();
            long batch = embeddings.shape[0], length = embeddings.shape[1];
            var prompt = full(batch, count, width, 0.5f);
            var spliced = cat(new[] { embeddings.narrow(1, 0, 1), prompt, embeddings.narrow(1, 1, length - 1) }, 1);
            var mask = cat(new[] { attentionMask.narrow(1, 0, 1), ones(batch, count, dtype: attentionMask.dtype), attentionMask.narrow(1, 1, length - 1) }, 1);
            return (spliced, mask);
        }
    }

    /// <summary>Constant key/value prefixes of a given length.</summary>
    public sealed class ConstantPrefix(long heads, long headDim, long length) : KeyValuePrefix("prefix")
    {
        public override long Length => length;
        public override (Tensor Keys, Tensor Values) Prefix(long batchSize) =>
            (full(batchSize, heads, length, headDim, 0.3f), full(batchSize, heads, length, headDim, -1.0f));
    }
}
