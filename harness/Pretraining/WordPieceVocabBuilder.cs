namespace PeftBench.Harness.Pretraining;

/// <summary>
/// A WordPiece vocabulary learned from the corpus by counting, not by likelihood (Schuster &amp; Nakajima's
/// greedy training is overkill at this size): special tokens first ([PAD]=0 [UNK] [CLS] [SEP] [MASK]), every
/// character and ##character seen (so nothing in the corpus becomes [UNK]), then the most frequent words, then
/// the most frequent prefixes and ##suffixes of the words left out, up to the target size. Words are split as
/// BERT's basic tokenizer splits lower-cased ASCII: on whitespace, and every punctuation mark alone.
/// </summary>
public static class WordPieceVocabBuilder
{
    public static readonly IReadOnlyList<string> SpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    public static List<string> Build(IEnumerable<string> lines, int targetSize, double wordShare = 0.75)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in lines)
            foreach (var w in BasicWords(line))
                counts[w] = counts.GetValueOrDefault(w) + 1;

        var vocab = new List<string>(SpecialTokens);
        var present = new HashSet<string>(vocab, StringComparer.Ordinal);
        void Add(string t) { if (present.Add(t)) vocab.Add(t); }

        var initials = new SortedSet<char>();
        var inner = new SortedSet<char>();
        foreach (var w in counts.Keys)
        {
            initials.Add(w[0]);
            foreach (var c in w.Skip(1)) inner.Add(c);
        }
        foreach (var c in initials.Union(inner).Order()) Add(c.ToString());
        foreach (var c in inner) Add("##" + c);

        var ranked = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        int wordLimit = vocab.Count + (int)((targetSize - vocab.Count) * wordShare);
        foreach (var (w, _) in ranked)
        {
            if (vocab.Count >= wordLimit) break;
            Add(w);
        }

        // Pieces that let greedy longest-match spell the remaining words in few tokens.
        var pieces = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (w, n) in ranked)
        {
            if (present.Contains(w) || w.Length < 3) continue;
            for (int len = 2; len <= Math.Min(8, w.Length - 1); len++)
            {
                var prefix = w[..len];
                pieces[prefix] = pieces.GetValueOrDefault(prefix) + n;
                var suffix = "##" + w[^len..];
                pieces[suffix] = pieces.GetValueOrDefault(suffix) + n;
            }
        }
        foreach (var (p, _) in pieces.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (vocab.Count >= targetSize) break;
            Add(p);
        }
        return vocab;
    }

    public static IEnumerable<string> BasicWords(string line)
    {
        int start = -1;
        for (int i = 0; i <= line.Length; i++)
        {
            char c = i < line.Length ? line[i] : ' ';
            if (char.IsAsciiLetterOrDigit(c)) { if (start < 0) start = i; continue; }
            if (start >= 0) { yield return line[start..i]; start = -1; }
            if (!char.IsWhiteSpace(c)) yield return c.ToString();
        }
    }
}
