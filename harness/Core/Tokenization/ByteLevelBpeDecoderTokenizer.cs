using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace PeftBench.Core.Tokenization;

/// <summary>
/// Byte-level BPE (Radford et al., 2019) as GPT-2 (<c>vocab.json</c> + <c>merges.txt</c>), LLaMA-3 and Qwen2
/// (<c>tokenizer.json</c>) ship it, through Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>: text is split by
/// the model's own pre-tokenizer regex (GPT-2's, or the <c>Split</c> pattern of <c>tokenizer.json</c>), mapped to
/// bytes, and merged. Special tokens (<c>&lt;|endoftext|&gt;</c>, <c>&lt;|im_start|&gt;</c> …) in the text are kept whole.
/// </summary>
public sealed class ByteLevelBpeDecoderTokenizer : DecoderTokenizer
{
    /// <summary>GPT-2's pre-tokenizer (tokenizers' ByteLevel with use_regex).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly BpeTokenizer tokenizer;
    private readonly bool normalizeNfc;

    private ByteLevelBpeDecoderTokenizer(HfTokenizerFiles files, string pattern, bool nfc) : base(files, defaultAddBos: false)
    {
        normalizeNfc = nfc;
        var specials = files.SpecialTokens.Count > 0 ? files.SpecialTokens : null;
        tokenizer = BpeTokenizer.Create(new BpeOptions(files.Vocabulary)
        {
            Merges = files.Merges,
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), specials),
            SpecialTokens = specials,
        });
    }

    /// <summary>GPT-2's files: <c>vocab.json</c> + <c>merges.txt</c> (+ optional <c>tokenizer_config.json</c>).</summary>
    public static ByteLevelBpeDecoderTokenizer FromVocabAndMerges(string folder) =>
        new(HfTokenizerFiles.FromVocabAndMerges(folder), Gpt2Pattern, nfc: false);

    internal static ByteLevelBpeDecoderTokenizer FromTokenizerJson(HfTokenizerFiles files)
    {
        var root = files.TokenizerJson!;
        var pre = root["pre_tokenizer"] as JsonObject;
        var steps = pre?["type"]?.GetValue<string>() == "Sequence" ? pre["pretokenizers"]!.AsArray().OfType<JsonObject>().ToList()
            : pre is null ? [] : [pre];
        var split = steps.FirstOrDefault(s => s["type"]?.GetValue<string>() == "Split");
        var byteLevel = steps.FirstOrDefault(s => s["type"]?.GetValue<string>() == "ByteLevel");
        string pattern = split?["pattern"]?["Regex"]?.GetValue<string>()
            ?? (byteLevel?["use_regex"]?.GetValue<bool>() ?? true ? Gpt2Pattern
                : throw new InvalidDataException($"{files.Folder}/tokenizer.json: byte-level pre-tokenizer without a split pattern."));
        if (byteLevel?["add_prefix_space"]?.GetValue<bool>() == true)
            throw new InvalidDataException($"{files.Folder}/tokenizer.json: ByteLevel add_prefix_space is not supported.");
        var normalizer = root["normalizer"]?["type"]?.GetValue<string>();
        if (normalizer is not (null or "NFC"))
            throw new InvalidDataException($"{files.Folder}/tokenizer.json: normalizer '{normalizer}' is not supported for byte-level BPE (known: none, NFC).");
        return new ByteLevelBpeDecoderTokenizer(files, pattern, normalizer == "NFC");
    }

    public override IReadOnlyList<int> EncodeWords(string text) =>
        tokenizer.EncodeToIds(normalizeNfc ? text.Normalize(NormalizationForm.FormC) : text);

    protected override string DecodeTokens(IEnumerable<int> ids) => tokenizer.Decode(ids, considerSpecialTokens: true);
}
