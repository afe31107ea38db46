using System.Text.Json.Nodes;

namespace PeftBench.Core.Tokenization;

/// <summary>
/// The tokenizer of a decoder folder, from its own files: <c>tokenizer.json</c> (byte-level BPE for LLaMA-3 and
/// Qwen2; SentencePiece BPE with byte fallback for LLaMA-1/2, Mistral), else GPT-2's <c>vocab.json</c> + <c>merges.txt</c>.
/// </summary>
public static class DecoderTokenizers
{
    public static IDecoderTokenizer FromFolder(string folder)
    {
        if (File.Exists(Path.Combine(folder, "tokenizer.json")))
        {
            var files = HfTokenizerFiles.FromTokenizerJson(folder);
            var model = files.TokenizerJson!["model"]!.AsObject();
            var byteFallback = model["byte_fallback"]?.GetValue<bool>() ?? false;
            return byteFallback || IsMetaspace(files.TokenizerJson)
                ? SentencePieceBpeDecoderTokenizer.FromTokenizerJson(files)
                : ByteLevelBpeDecoderTokenizer.FromTokenizerJson(files);
        }
        if (File.Exists(Path.Combine(folder, "vocab.json")) && File.Exists(Path.Combine(folder, "merges.txt")))
            return ByteLevelBpeDecoderTokenizer.FromVocabAndMerges(folder);
        var hint = File.Exists(Path.Combine(folder, "tokenizer.model"))
            ? " (tokenizer.model alone is SentencePiece's protobuf; convert it with transformers' LlamaTokenizerFast and save tokenizer.json)" : "";
        throw new FileNotFoundException($"{folder}: no decoder tokenizer files (expected tokenizer.json, or vocab.json + merges.txt){hint}.");
    }

    /// <summary>SentencePiece-style: a Metaspace pre-tokenizer, or normalizers that write ▁ (Prepend / Replace).</summary>
    private static bool IsMetaspace(JsonObject root)
    {
        if (root["pre_tokenizer"]?["type"]?.GetValue<string>() == "Metaspace") return true;
        var n = root["normalizer"] as JsonObject;
        var steps = n?["type"]?.GetValue<string>() == "Sequence" ? n["normalizers"]!.AsArray().OfType<JsonObject>() : n is null ? [] : [n];
        return steps.Any(s => (s["prepend"] ?? s["content"])?.GetValue<string>() == "\u2581");
    }

    /// <summary>Whether a folder holds a decoder (its config.json names a decoder model_type).</summary>
    public static bool IsDecoderFolder(string folder)
    {
        var config = Path.Combine(folder, "config.json");
        if (!File.Exists(config)) return false;
        var type = (JsonNode.Parse(File.ReadAllText(config)) as JsonObject)?["model_type"]?.GetValue<string>();
        return type is "gpt2" or "llama" or "mistral" or "qwen2";
    }
}
