namespace PeftBench.Core.Tokenization;

/// <summary>
/// A decoder model's tokenizer (GPT-2, LLaMA, Qwen2 …): text ↔ ids with the special tokens the model's own files
/// declare. Also an <see cref="ITextTokenizer"/>, so classification tasks run on decoders unchanged: sentences and
/// pairs are laid out by the folder's post-processor template (LLaMA: <c>&lt;s&gt; a</c>, <c>&lt;s&gt; a &lt;s&gt; b</c>;
/// GPT-2 and Qwen2: nothing added), and <see cref="ITextTokenizer.PadId"/> falls back to eos where no pad token exists
/// (Hugging Face's usual <c>pad_token = eos_token</c>).
/// </summary>
public interface IDecoderTokenizer : ITextTokenizer
{
    /// <summary>Ids of <paramref name="text"/>; with the template's special tokens (e.g. LLaMA's bos) when asked.</summary>
    IReadOnlyList<int> Encode(string text, bool addSpecialTokens);

    /// <summary>Text of <paramref name="ids"/>; special tokens (bos, eos, pad …) dropped when asked.</summary>
    string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true);

    int? BosId { get; }
    int? EosId { get; }
}
