using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace PeftBench.Core.Tokenization;

/// <summary>
/// RoBERTa's byte-level BPE (GPT-2 vocabulary and merges) from a folder's <c>vocab.json</c> + <c>merges.txt</c>,
/// through Microsoft.ML.Tokenizers' <see cref="CodeGenTokenizer"/> (the library's GPT-2-style byte-level BPE).
/// Pairs are laid out as RoBERTa does: <c>&lt;s&gt; a &lt;/s&gt;&lt;/s&gt; b &lt;/s&gt;</c>, all segment ids 0.
/// </summary>
public sealed class ByteLevelBpeTextTokenizer : ITextTokenizer
{
    private readonly CodeGenTokenizer tokenizer;

    public int PadId { get; }
    public int ClsId { get; }
    public int SepId { get; }
    public int MaskId { get; }
    public int VocabSize { get; }

    public ByteLevelBpeTextTokenizer(string vocabJsonPath, string mergesPath)
    {
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabJsonPath))
            ?? throw new InvalidDataException($"{vocabJsonPath}: empty vocabulary.");
        int Id(string token) => vocab.TryGetValue(token, out var id) ? id
            : throw new InvalidDataException($"{vocabJsonPath}: special token '{token}' is missing.");
        ClsId = Id("<s>");
        SepId = Id("</s>");
        PadId = Id("<pad>");
        MaskId = vocab.TryGetValue("<mask>", out var m) ? m : Id("<unk>");
        VocabSize = vocab.Values.Max() + 1;
        // The library's byte-level BPE takes GPT-2's end-of-text token as its unknown token; RoBERTa's vocabulary keeps it.
        Id("<|endoftext|>");
        using var vocabStream = File.OpenRead(vocabJsonPath);
        using var mergesStream = File.OpenRead(mergesPath);
        tokenizer = CodeGenTokenizer.Create(vocabStream, mergesStream, addPrefixSpace: false, addBeginOfSentence: false, addEndOfSentence: false);
    }

    public static ByteLevelBpeTextTokenizer FromFolder(string folder) =>
        new(Path.Combine(folder, "vocab.json"), Path.Combine(folder, "merges.txt"));

    public IReadOnlyList<int> EncodeWords(string text) =>
        tokenizer.EncodeToIds(text, addPrefixSpace: false, addBeginningOfSentence: false, addEndOfSentence: false);

    public EncodedPair Encode(string first, string? second, int maxLength)
    {
        var a = EncodeWords(first);
        if (second is null)
        {
            var ids = new[] { ClsId }.Concat(a.Take(Math.Max(0, maxLength - 2))).Append(SepId).ToArray();
            return new EncodedPair(ids, new int[ids.Length]);
        }
        var (ta, tb) = PairTruncation.LongestFirst(a, EncodeWords(second), maxLength - 4);
        var pair = new[] { ClsId }.Concat(ta).Append(SepId).Append(SepId).Concat(tb).Append(SepId).ToArray();
        return new EncodedPair(pair, new int[pair.Length]);
    }
}
