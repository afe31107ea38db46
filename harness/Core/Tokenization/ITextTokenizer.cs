namespace PeftBench.Core.Tokenization;

/// <summary>
/// Input ids and segment ids of one example, special tokens included (<c>[CLS] a [SEP] b [SEP]</c> for BERT,
/// <c>&lt;s&gt; a &lt;/s&gt;&lt;/s&gt; b &lt;/s&gt;</c> for RoBERTa). Unpadded: batching pads with <see cref="ITextTokenizer.PadId"/>.
/// </summary>
public sealed record EncodedPair(int[] InputIds, int[] TokenTypeIds)
{
    public int Length => InputIds.Length;
}

/// <summary>
/// The one tokenizer contract tasks and pretraining use. Implementations wrap Microsoft.ML.Tokenizers and read
/// a Hugging Face folder's own files, so a model always meets the vocabulary it was trained with.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>Encodes a sentence or a pair, truncating longest-first so the result fits <paramref name="maxLength"/>.</summary>
    EncodedPair Encode(string first, string? second, int maxLength);

    /// <summary>Sub-word ids of a text, without special tokens.</summary>
    IReadOnlyList<int> EncodeWords(string text);

    int PadId { get; }
    int ClsId { get; }
    int SepId { get; }
    int MaskId { get; }
    int VocabSize { get; }
}
