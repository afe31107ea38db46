namespace PeftBench.Core.Tokenization;

/// <summary>
/// Picks the tokenizer a Hugging Face folder ships: WordPiece (<c>vocab.txt</c>), a decoder's own tokenizer when
/// <c>config.json</c> names a decoder (GPT-2, LLaMA, Mistral, Qwen2; see <see cref="DecoderTokenizers"/>), or
/// RoBERTa's byte-level BPE (<c>vocab.json</c> + <c>merges.txt</c>).
/// </summary>
public static class TextTokenizers
{
    public static ITextTokenizer FromFolder(string folder)
    {
        if (File.Exists(Path.Combine(folder, "vocab.txt"))) return WordPieceTextTokenizer.FromFolder(folder);
        if (DecoderTokenizers.IsDecoderFolder(folder)) return DecoderTokenizers.FromFolder(folder);
        if (File.Exists(Path.Combine(folder, "vocab.json")) && File.Exists(Path.Combine(folder, "merges.txt")))
            return ByteLevelBpeTextTokenizer.FromFolder(folder);
        throw new FileNotFoundException($"{folder}: no tokenizer files (expected vocab.txt for WordPiece, or vocab.json + merges.txt for byte-level BPE).");
    }
}
