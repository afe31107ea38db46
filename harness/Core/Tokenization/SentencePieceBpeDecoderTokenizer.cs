using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace PeftBench.Core.Tokenization;

/// <summary>
/// LLaMA-1/2's SentencePiece BPE (Kudo &amp; Richardson, 2018) from its <c>tokenizer.json</c>: spaces become ▁, one ▁ is
/// prepended, the whole text is merged by rank (Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>), and every
/// character outside the vocabulary falls back to its UTF-8 bytes (<c>&lt;0xE6&gt;</c> …), which the library's BPE
/// does not do itself: its unknown-token spans are re-encoded as byte tokens here. Decoding reverses it (▁ → space,
/// bytes fused, the leading space stripped).
/// </summary>
public sealed class SentencePieceBpeDecoderTokenizer : DecoderTokenizer
{
    private const char Space = '\u2581';
    private readonly BpeTokenizer tokenizer;
    private readonly int[] byteIds = new int[256];
    private readonly Dictionary<int, byte> idToByte = new();
    private readonly Dictionary<string, int> specials;
    private readonly Dictionary<int, string> idToToken;
    private readonly int unknownId;
    private readonly bool prependSpace;

    private SentencePieceBpeDecoderTokenizer(HfTokenizerFiles files, string unknownToken, bool prepend) : base(files, defaultAddBos: true)
    {
        prependSpace = prepend;
        specials = files.SpecialTokens;
        idToToken = files.Vocabulary.GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.First().Key);
        unknownId = files.Vocabulary[unknownToken];
        for (int b = 0; b < 256; b++)
        {
            var name = $"<0x{b:X2}>";
            if (!files.Vocabulary.TryGetValue(name, out var id))
                throw new InvalidDataException($"{files.Folder}/tokenizer.json: byte_fallback is set but byte token {name} is missing.");
            byteIds[b] = id;
            idToByte[id] = (byte)b;
        }
        tokenizer = BpeTokenizer.Create(new BpeOptions(files.Vocabulary)
        {
            Merges = files.Merges,
            UnknownToken = unknownToken,
            FuseUnknownTokens = false,
            // SentencePiece merges across the whole text (▁ included); the library would otherwise split words.
            PreTokenizer = new WholeText(),
        });
    }

    internal static SentencePieceBpeDecoderTokenizer FromTokenizerJson(HfTokenizerFiles files)
    {
        var root = files.TokenizerJson!;
        var model = root["model"]!.AsObject();
        var unknown = model["unk_token"]?.GetValue<string>() ?? "<unk>";
        // Legacy LLaMA files normalise (Prepend ▁ + Replace " " → ▁); newer ones use a Metaspace pre-tokenizer.
        var normalizers = root["normalizer"] is JsonObject n
            ? n["type"]?.GetValue<string>() == "Sequence" ? n["normalizers"]!.AsArray().OfType<JsonObject>().ToList() : [n]
            : [];
        var prepend = normalizers.Any(x => x["type"]?.GetValue<string>() == "Prepend")
            || (root["pre_tokenizer"]?["type"]?.GetValue<string>() == "Metaspace" && root["pre_tokenizer"]?["prepend_scheme"]?.GetValue<string>() != "never");
        return new SentencePieceBpeDecoderTokenizer(files, unknown, prepend);
    }

    protected override bool IsSpecial(int id) => !idToByte.ContainsKey(id) && base.IsSpecial(id);

    public override IReadOnlyList<int> EncodeWords(string text)
    {
        var ids = new List<int>();
        foreach (var (segment, specialId) in SplitSpecials(text))
        {
            if (specialId is { } sid) { ids.Add(sid); continue; }
            if (segment.Length == 0) continue;
            var normalised = (prependSpace ? Space + segment : segment).Replace(' ', Space);
            var tokens = tokenizer.EncodeToTokens(normalised, out _);
            var pendingUnknown = new StringBuilder();
            void FlushBytes()
            {
                foreach (var b in Encoding.UTF8.GetBytes(pendingUnknown.ToString())) ids.Add(byteIds[b]);
                pendingUnknown.Clear();
            }
            foreach (var token in tokens)
            {
                if (token.Id == unknownId)
                {
                    var (offset, length) = token.Offset.GetOffsetAndLength(normalised.Length);
                    pendingUnknown.Append(normalised, offset, length);
                    continue;
                }
                FlushBytes();
                ids.Add(token.Id);
            }
            FlushBytes();
        }
        return ids;
    }

    /// <summary>Raw text split around special tokens (longest match first), which are never normalised.</summary>
    private IEnumerable<(string Segment, int? SpecialId)> SplitSpecials(string text)
    {
        var names = specials.Keys.Where(k => k.Length > 0 && !k.StartsWith("<0x", StringComparison.Ordinal)).OrderByDescending(k => k.Length).ToList();
        int start = 0;
        for (int i = 0; i < text.Length;)
        {
            var match = names.FirstOrDefault(name => string.CompareOrdinal(text, i, name, 0, name.Length) == 0);
            if (match is null) { i++; continue; }
            if (i > start) yield return (text[start..i], null);
            yield return (match, specials[match]);
            i += match.Length;
            start = i;
        }
        if (start < text.Length || text.Length == 0) yield return (text[start..], null);
    }

    protected override string DecodeTokens(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (idToByte.TryGetValue(id, out var b)) { bytes.Add(b); continue; }
            var token = idToToken.TryGetValue(id, out var t) ? t : throw new ArgumentException($"token id {id.ToString(CultureInfo.InvariantCulture)} is outside the vocabulary.");
            bytes.AddRange(Encoding.UTF8.GetBytes(token.Replace(Space, ' ')));
        }
        var text = Encoding.UTF8.GetString(bytes.ToArray());
        return prependSpace && text.StartsWith(' ') ? text[1..] : text;
    }

    private sealed class WholeText : PreTokenizer
    {
        public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => text.Length == 0 ? [] : [(0, text.Length)];
        public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => text.Length == 0 ? [] : [(0, text.Length)];
    }
}
