using PeftBench.Core.Tokenization;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// The decoder's packing: each document becomes <c>bos tokens… eos</c>, documents are concatenated, and the stream is cut
/// into windows of <c>length + 1</c> tokens that overlap by one, so every token but the first is a target exactly once
/// (inputs <c>w[..length]</c>, targets <c>w[1..]</c>). The tail shorter than a window is dropped.
/// </summary>
public static class CausalLmPacking
{
    public static IEnumerable<int[]> Pack(IEnumerable<string> documents, IDecoderTokenizer tokenizer, int length)
    {
        var buffer = new List<int>(length * 2);
        foreach (var document in documents)
        {
            buffer.AddRange(Document(tokenizer, document));
            while (buffer.Count >= length + 1)
            {
                yield return buffer.GetRange(0, length + 1).ToArray();
                buffer.RemoveRange(0, length);
            }
        }
    }

    /// <summary>A document's tokens as packed: bos, text, eos.</summary>
    public static IEnumerable<int> Document(IDecoderTokenizer tokenizer, string text) =>
        [tokenizer.BosId ?? throw new InvalidOperationException("the tokenizer has no bos token"), .. tokenizer.EncodeWords(text),
         tokenizer.EosId ?? throw new InvalidOperationException("the tokenizer has no eos token")];
}
