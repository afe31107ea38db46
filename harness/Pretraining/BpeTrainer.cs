using System.Text;
using System.Text.RegularExpressions;

namespace PeftBench.Harness.Pretraining;

/// <summary>The outcome of <see cref="BpeTrainer.Train"/>: token strings by id, and merges in priority order.</summary>
public sealed record BpeModel(IReadOnlyList<string> Tokens, IReadOnlyList<(string Left, string Right)> Merges, string PreTokenizerPattern);

/// <summary>
/// Byte-level BPE training (Sennrich et al., 2016; byte-level as Radford et al., 2019): text is split by a
/// pre-tokenizer regex, each piece's UTF-8 bytes are written in GPT-2's printable byte alphabet, and the most
/// frequent adjacent pair is merged until the vocabulary is full. Deterministic: ties go to the pair whose left, then
/// right, symbol is smallest in ordinal order, so the same corpus always gives the same merges. Pair counts are
/// updated incrementally (only the words holding the merged pair are rewritten) and the best pair comes from a heap
/// whose stale entries are skipped, so 4k merges over a few MB take seconds.
/// </summary>
public static class BpeTrainer
{
    /// <summary>
    /// GPT-2's pre-tokenizer with digits split one by one (as LLaMA-3 and Qwen2 split numbers into short runs): a
    /// number is always spelled digit by digit, which the arithmetic in the corpus needs; an optional leading space stays
    /// on the first digit as on words.
    /// </summary>
    public const string PreTokenizerPattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static BpeModel Train(IEnumerable<string> texts, int vocabularySize, IReadOnlyList<string> specialTokens, string? pattern = null)
    {
        pattern ??= PreTokenizerPattern;
        var alphabet = ByteAlphabet.Symbols;
        var tokens = new List<string>(specialTokens);
        tokens.AddRange(alphabet);
        if (vocabularySize < tokens.Count) throw new ArgumentException($"vocabulary size {vocabularySize} is below the {tokens.Count} special and byte tokens.");

        // Distinct pre-tokens with their counts, as sequences of symbol ids.
        var regex = new Regex(pattern, RegexOptions.Compiled);
        var wordCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (Match m in regex.Matches(text))
                wordCounts[m.Value] = wordCounts.GetValueOrDefault(m.Value) + 1;
        var words = new List<int[]>(wordCounts.Count);
        var counts = new List<long>(wordCounts.Count);
        foreach (var (word, count) in wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            words.Add(Encoding.UTF8.GetBytes(word).Select(b => specialTokens.Count + b).ToArray());
            counts.Add(count);
        }

        var pairCounts = new Dictionary<(int, int), long>();
        var pairWords = new Dictionary<(int, int), HashSet<int>>();
        for (int w = 0; w < words.Count; w++) AddPairs(w, +1);
        var heap = new PriorityQueue<(int, int), (long Count, string Left, string Right)>(new PairOrder());
        foreach (var (pair, count) in pairCounts) heap.Enqueue(pair, (count, tokens[pair.Item1], tokens[pair.Item2]));

        var merges = new List<(string, string)>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++) ids[tokens[i]] = i;
        while (tokens.Count < vocabularySize && heap.TryDequeue(out var best, out var priority))
        {
            if (pairCounts.GetValueOrDefault(best) != priority.Count) continue; // stale entry
            if (priority.Count < 2) break;
            // Two merge paths can spell the same string ("ab"+"c", "a"+"bc"): it keeps one id, as tokenizers' trainer does.
            var spelled = tokens[best.Item1] + tokens[best.Item2];
            if (!ids.TryGetValue(spelled, out var merged)) { merged = tokens.Count; tokens.Add(spelled); ids[spelled] = merged; }
            merges.Add((tokens[best.Item1], tokens[best.Item2]));
            var touched = new HashSet<(int, int)>();
            foreach (var w in pairWords[best].ToList())
            {
                if (!Contains(words[w], best)) continue;
                AddPairs(w, -1, touched);
                words[w] = Merge(words[w], best, merged);
                AddPairs(w, +1, touched);
            }
            foreach (var pair in touched)
                if (pairCounts.GetValueOrDefault(pair) > 0) heap.Enqueue(pair, (pairCounts[pair], tokens[pair.Item1], tokens[pair.Item2]));
        }
        return new BpeModel(tokens, merges, pattern);

        void AddPairs(int w, int sign, HashSet<(int, int)>? touched = null)
        {
            var symbols = words[w];
            for (int i = 0; i + 1 < symbols.Length; i++)
            {
                var pair = (symbols[i], symbols[i + 1]);
                pairCounts[pair] = pairCounts.GetValueOrDefault(pair) + sign * counts[w];
                if (sign > 0)
                {
                    if (!pairWords.TryGetValue(pair, out var set)) pairWords[pair] = set = new HashSet<int>();
                    set.Add(w);
                }
                touched?.Add(pair);
            }
        }
    }

    private static bool Contains(int[] symbols, (int, int) pair)
    {
        for (int i = 0; i + 1 < symbols.Length; i++)
            if (symbols[i] == pair.Item1 && symbols[i + 1] == pair.Item2) return true;
        return false;
    }

    /// <summary>Replaces each non-overlapping occurrence of <paramref name="pair"/>, left to right.</summary>
    private static int[] Merge(int[] symbols, (int, int) pair, int merged)
    {
        var result = new List<int>(symbols.Length);
        for (int i = 0; i < symbols.Length; i++)
        {
            if (i + 1 < symbols.Length && symbols[i] == pair.Item1 && symbols[i + 1] == pair.Item2) { result.Add(merged); i++; }
            else result.Add(symbols[i]);
        }
        return result.ToArray();
    }

    /// <summary>Most frequent first; ties by left then right symbol, ordinal.</summary>
    private sealed class PairOrder : IComparer<(long Count, string Left, string Right)>
    {
        public int Compare((long Count, string Left, string Right) x, (long Count, string Left, string Right) y)
        {
            if (x.Count != y.Count) return y.Count.CompareTo(x.Count);
            var left = string.CompareOrdinal(x.Left, y.Left);
            return left != 0 ? left : string.CompareOrdinal(x.Right, y.Right);
        }
    }
}

/// <summary>
/// GPT-2's <c>bytes_to_unicode</c>: each byte as one printable character (printable Latin-1 bytes as themselves,
/// the rest shifted to U+0100 onwards), so byte-level tokens are ordinary strings in <c>vocab</c> and <c>merges</c>.
/// </summary>
public static class ByteAlphabet
{
    /// <summary>The character of byte b at index b.</summary>
    public static readonly IReadOnlyList<string> Symbols = Build();

    private static string[] Build()
    {
        var symbols = new string[256];
        int shifted = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            symbols[b] = ((char)(printable ? b : 256 + shifted++)).ToString();
        }
        return symbols;
    }
}
