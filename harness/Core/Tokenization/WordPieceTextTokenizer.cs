using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace PeftBench.Core.Tokenization;

/// <summary>
/// BERT's WordPiece tokenizer from a folder's <c>vocab.txt</c>, through Microsoft.ML.Tokenizers'
/// <see cref="BertTokenizer"/> (basic tokenization: whitespace and punctuation split, accent stripping).
/// Lower-casing follows <c>tokenizer_config.json</c>'s <c>do_lower_case</c> (default true, as BERT's).
/// </summary>
public sealed class WordPieceTextTokenizer : ITextTokenizer
{
    private readonly BertTokenizer tokenizer;

    public int PadId => tokenizer.PaddingTokenId;
    public int ClsId => tokenizer.ClassificationTokenId;
    public int SepId => tokenizer.SeparatorTokenId;
    public int MaskId => tokenizer.MaskingTokenId;
    public int VocabSize { get; }
    public bool LowerCase { get; }

    public WordPieceTextTokenizer(string vocabPath, bool lowerCase)
    {
        LowerCase = lowerCase;
        tokenizer = BertTokenizer.Create(vocabPath, new BertOptions
        {
            LowerCaseBeforeTokenization = lowerCase,
            ApplyBasicTokenization = true,
            RemoveNonSpacingMarks = lowerCase,
        });
        VocabSize = File.ReadLines(vocabPath).Count();
    }

    /// <summary>Reads <c>vocab.txt</c> and the optional <c>tokenizer_config.json</c> of a Hugging Face folder.</summary>
    public static WordPieceTextTokenizer FromFolder(string folder)
    {
        var lower = true;
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(configPath) && JsonNode.Parse(File.ReadAllText(configPath))?["do_lower_case"] is { } flag)
            lower = flag.GetValue<bool>();
        return new WordPieceTextTokenizer(Path.Combine(folder, "vocab.txt"), lower);
    }

    public IReadOnlyList<int> EncodeWords(string text) => tokenizer.EncodeToIds(text, addSpecialTokens: false);

    public EncodedPair Encode(string first, string? second, int maxLength)
    {
        var a = EncodeWords(first);
        if (second is null)
        {
            var kept = a.Take(Math.Max(0, maxLength - 2));
            var ids = new[] { ClsId }.Concat(kept).Append(SepId).ToArray();
            return new EncodedPair(ids, new int[ids.Length]);
        }
        var (ta, tb) = PairTruncation.LongestFirst(a, EncodeWords(second), maxLength - 3);
        var pairIds = new[] { ClsId }.Concat(ta).Append(SepId).Concat(tb).Append(SepId).ToArray();
        var types = Enumerable.Repeat(0, ta.Count + 2).Concat(Enumerable.Repeat(1, tb.Count + 1)).ToArray();
        return new EncodedPair(pairIds, types);
    }
}
