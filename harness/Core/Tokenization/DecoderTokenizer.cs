namespace PeftBench.Core.Tokenization;

/// <summary>
/// The parts every decoder tokenizer shares: special ids from the folder's files, the post-processor template,
/// and the <see cref="ITextTokenizer"/> layout of sentences and pairs. Subclasses supply the sub-word model.
/// </summary>
public abstract class DecoderTokenizer : IDecoderTokenizer
{
    private readonly int[] singleBefore, singleAfter, pairBefore, pairBetween, pairAfter;
    private readonly HashSet<int> specialIds;

    private protected DecoderTokenizer(HfTokenizerFiles files, bool defaultAddBos)
    {
        VocabSize = files.Vocabulary.Values.Max() + 1;
        BosId = files.ConfiguredId("bos_token");
        EosId = files.ConfiguredId("eos_token");
        UnknownId = files.ConfiguredId("unk_token");
        PadTokenId = files.ConfiguredId("pad_token");
        if (files.Template("single") is { } single && files.Template("pair") is { } pair)
        {
            (singleBefore, _, singleAfter) = single;
            (pairBefore, pairBetween, pairAfter) = pair;
        }
        else
        {
            // No template (GPT-2's vocab.json + merges.txt): tokenizer_config's add_bos_token / add_eos_token decide.
            int[] bos = files.ConfiguredFlag("add_bos_token", defaultAddBos) && BosId is { } b ? [b] : [];
            int[] eos = files.ConfiguredFlag("add_eos_token", false) && EosId is { } e ? [e] : [];
            (singleBefore, singleAfter) = (bos, eos);
            (pairBefore, pairBetween, pairAfter) = (bos, [.. eos, .. bos], eos);
        }
        specialIds = files.SpecialTokens.Values.ToHashSet();
    }

    public int? BosId { get; }
    public int? EosId { get; }
    public int? UnknownId { get; }
    public int? PadTokenId { get; }
    public int VocabSize { get; }
    public int PadId => PadTokenId ?? EosId ?? 0;
    public int ClsId => BosId ?? EosId ?? 0;
    public int SepId => EosId ?? 0;
    public int MaskId => UnknownId ?? PadId;

    /// <summary>Whether <paramref name="id"/> is a special token that decoding may skip.</summary>
    protected virtual bool IsSpecial(int id) => specialIds.Contains(id);

    public abstract IReadOnlyList<int> EncodeWords(string text);
    protected abstract string DecodeTokens(IEnumerable<int> ids);

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens) =>
        addSpecialTokens ? [.. singleBefore, .. EncodeWords(text), .. singleAfter] : EncodeWords(text);

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true) =>
        DecodeTokens(skipSpecialTokens ? ids.Where(i => !IsSpecial(i)) : ids);

    public EncodedPair Encode(string first, string? second, int maxLength)
    {
        int[] ids;
        if (second is null)
        {
            var a = EncodeWords(first).Take(Math.Max(0, maxLength - singleBefore.Length - singleAfter.Length));
            ids = [.. singleBefore, .. a, .. singleAfter];
        }
        else
        {
            var (ta, tb) = PairTruncation.LongestFirst(EncodeWords(first), EncodeWords(second),
                maxLength - pairBefore.Length - pairBetween.Length - pairAfter.Length);
            ids = [.. pairBefore, .. ta, .. pairBetween, .. tb, .. pairAfter];
        }
        return new EncodedPair(ids, new int[ids.Length]);
    }
}
