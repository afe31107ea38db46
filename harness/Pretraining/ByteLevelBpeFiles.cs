using System.Text.Json;
using System.Text.Json.Nodes;
using PeftBench.Reports;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// Writes a trained <see cref="BpeModel"/> as Hugging Face tokenizers' files: <c>tokenizer.json</c> (BPE model, special
/// tokens as added tokens, a Split pre-tokenizer with the training regex followed by ByteLevel, a ByteLevel decoder,
/// and a TemplateProcessing post-processor that puts bos before each sequence as LLaMA's does) and
/// <c>tokenizer_config.json</c> (bos, eos, pad). <see cref="PeftBench.Core.Tokenization.DecoderTokenizers"/> reads them back.
/// </summary>
public static class ByteLevelBpeFiles
{
    public static void Write(string folder, BpeModel model, string bos, string eos, int maxLength)
    {
        var vocab = new JsonObject();
        for (int i = 0; i < model.Tokens.Count; i++) vocab[model.Tokens[i]] = i;
        int Id(string token) => model.Tokens.Select((t, i) => (t, i)).First(p => p.t == token).i;
        var specials = new[] { bos, eos }.Distinct().ToArray();
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(specials.Select(s => (JsonNode)new JsonObject
            {
                ["id"] = Id(s), ["content"] = s, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            }).ToArray()),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = model.PreTokenizerPattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
            },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(Special(bos), Sequence("A")),
                ["pair"] = new JsonArray(Special(bos), Sequence("A"), Special(bos), Sequence("B")),
                ["special_tokens"] = new JsonObject { [bos] = new JsonObject { ["id"] = bos, ["ids"] = new JsonArray(Id(bos)), ["tokens"] = new JsonArray(bos) } },
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(model.Merges.Select(m => (JsonNode)new JsonArray(m.Left, m.Right)).ToArray()),
            },
        };
        // Compact: the merges list is long and indentation would triple the file.
        AtomicFile.WriteAllText(Path.Combine(folder, "tokenizer.json"), root.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        var config = new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["bos_token"] = bos, ["eos_token"] = eos, ["pad_token"] = eos,
            ["add_bos_token"] = true, ["add_eos_token"] = false,
            ["model_max_length"] = maxLength,
            ["clean_up_tokenization_spaces"] = false,
        };
        AtomicFile.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    private static JsonObject Special(string token) => new() { ["SpecialToken"] = new JsonObject { ["id"] = token, ["type_id"] = 0 } };
    private static JsonObject Sequence(string id) => new() { ["Sequence"] = new JsonObject { ["id"] = id, ["type_id"] = 0 } };
}
