using System.Text.Json.Nodes;

namespace PeftBench.Core.Tokenization;

/// <summary>
/// What a Hugging Face folder says about its tokenizer beyond the model itself: <c>tokenizer.json</c>'s vocabulary,
/// merges, added tokens and post-processor template, and <c>tokenizer_config.json</c>'s bos/eos/pad/unk tokens.
/// </summary>
internal sealed class HfTokenizerFiles
{
    public required Dictionary<string, int> Vocabulary { get; init; }
    /// <summary>Merges as "left right" strings, highest priority first.</summary>
    public required List<string> Merges { get; init; }
    /// <summary>Added tokens flagged <c>special</c> (matched in raw text before normalisation).</summary>
    public required Dictionary<string, int> SpecialTokens { get; init; }
    public JsonObject? TokenizerJson { get; init; }
    public JsonObject? Config { get; init; }
    public required string Folder { get; init; }

    public static HfTokenizerFiles FromTokenizerJson(string folder)
    {
        var path = Path.Combine(folder, "tokenizer.json");
        var root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object.");
        var model = root["model"] as JsonObject ?? throw new InvalidDataException($"{path}: no model section.");
        var type = model["type"]?.GetValue<string>();
        if (type != "BPE")
            throw new InvalidDataException($"{path}: tokenizer model '{type}' is not supported (BPE only: GPT-2, LLaMA, Qwen2 …); Unigram/WordPiece tokenizer.json files are not read here.");
        var vocab = model["vocab"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<int>(), StringComparer.Ordinal);
        // tokenizers ≥ 0.20 writes merges as ["a", "b"] pairs, older versions as "a b" strings.
        var merges = model["merges"]!.AsArray()
            .Select(m => m is JsonArray pair ? $"{pair[0]!.GetValue<string>()} {pair[1]!.GetValue<string>()}" : m!.GetValue<string>()).ToList();
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in root["added_tokens"]?.AsArray() ?? [])
        {
            var content = t!["content"]!.GetValue<string>();
            var id = t["id"]!.GetValue<int>();
            vocab.TryAdd(content, id);
            if (t["special"]?.GetValue<bool>() ?? false) specials[content] = id;
        }
        return new HfTokenizerFiles { Vocabulary = vocab, Merges = merges, SpecialTokens = specials, TokenizerJson = root, Config = ReadConfig(folder), Folder = folder };
    }

    /// <summary>GPT-2's original pair of files.</summary>
    public static HfTokenizerFiles FromVocabAndMerges(string folder)
    {
        var vocab = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "vocab.json")))!.AsObject()
            .ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<int>(), StringComparer.Ordinal);
        var merges = File.ReadLines(Path.Combine(folder, "merges.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal)).ToList();
        var specials = vocab.Where(kv => kv.Key == "<|endoftext|>").ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return new HfTokenizerFiles { Vocabulary = vocab, Merges = merges, SpecialTokens = specials, Config = ReadConfig(folder), Folder = folder };
    }

    private static JsonObject? ReadConfig(string folder)
    {
        var path = Path.Combine(folder, "tokenizer_config.json");
        return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject : null;
    }

    /// <summary>The id of a role's token in tokenizer_config.json (a string or an AddedToken object), if any.</summary>
    public int? ConfiguredId(string role)
    {
        var node = Config?[role];
        var content = node switch
        {
            JsonObject o => o["content"]?.GetValue<string>(),
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => null,
        };
        return content is not null && Vocabulary.TryGetValue(content, out var id) ? id : null;
    }

    public bool ConfiguredFlag(string name, bool fallback) => Config?[name] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : fallback;

    /// <summary>
    /// Special-token ids the post-processor puts around one sequence (<c>single</c>) or a pair, as lists before A,
    /// between A and B, and after B; from a TemplateProcessing post-processor (possibly inside a Sequence).
    /// </summary>
    public (int[] BeforeA, int[] BetweenAB, int[] AfterB)? Template(string kind)
    {
        var post = TokenizerJson?["post_processor"] as JsonObject;
        if (post?["type"]?.GetValue<string>() == "Sequence")
            post = post["processors"]?.AsArray().OfType<JsonObject>().FirstOrDefault(p => p["type"]?.GetValue<string>() == "TemplateProcessing");
        if (post?["type"]?.GetValue<string>() != "TemplateProcessing" || post[kind] is not JsonArray items) return null;
        var groups = new List<List<int>> { new() };
        foreach (var item in items)
        {
            if (item?["Sequence"] is not null) { groups.Add(new()); continue; }
            var name = item?["SpecialToken"]?["id"]?.GetValue<string>() ?? throw new InvalidDataException($"{Folder}: unreadable post_processor template item.");
            var ids = post["special_tokens"]?[name]?["ids"]?.AsArray().Select(i => i!.GetValue<int>())
                ?? (Vocabulary.TryGetValue(name, out var id) ? [id] : throw new InvalidDataException($"{Folder}: template token '{name}' is not in the vocabulary."));
            groups[^1].AddRange(ids);
        }
        return groups.Count switch
        {
            2 => (groups[0].ToArray(), [], groups[1].ToArray()),
            3 => (groups[0].ToArray(), groups[1].ToArray(), groups[2].ToArray()),
            _ => throw new InvalidDataException($"{Folder}: post_processor template '{kind}' has {groups.Count - 1} sequences."),
        };
    }
}
