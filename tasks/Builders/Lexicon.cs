using System.Collections.Frozen;

namespace PeftBench.Tasks.Builders;

/// <summary>A content word of a sentence read as a WordNet sense: its base-form lemma, part of speech and plural mark.</summary>
public sealed record WordSense(int Index, string Lemma, char Pos, Synset Sense, bool Plural);

/// <summary>
/// The lexical substitutions the builders use, all taken from WordNet relations of one sense: synonyms
/// (same synset), hypernyms (@), hyponyms (~), co-hyponyms (siblings under the same hypernym), antonyms (!,
/// and for satellite adjectives the antonym of their head via similar-to &amp;) and unrelated common words.
/// Only single-word lemmas are used so that edits never change the word count; replacements prefer the word
/// that is most common in WordNet's own glosses, so that edits read naturally.
/// </summary>
public sealed class Lexicon(WordNet wordNet)
{
    public WordNet WordNet { get; } = wordNet;

    // Closed-class words are never substituted (editing them is CoLA's job, not a meaning change).
    private static readonly FrozenSet<string> FunctionWords = new[]
    {
        "a", "an", "the", "this", "that", "these", "those", "some", "any", "all", "each", "every", "no", "not", "nor",
        "and", "or", "but", "if", "so", "because", "as", "than", "then", "when", "while", "where", "which", "who", "whom",
        "whose", "what", "how", "why", "of", "in", "on", "at", "by", "for", "with", "from", "to", "into", "onto", "over",
        "under", "about", "after", "before", "up", "down", "out", "off", "through", "between", "against", "during",
        "i", "me", "my", "you", "your", "he", "him", "his", "she", "her", "it", "its", "we", "us", "our", "they", "them",
        "their", "is", "are", "was", "were", "be", "been", "being", "am", "has", "have", "had", "do", "does", "did",
        "will", "would", "can", "could", "shall", "should", "may", "might", "must", "very", "too", "also", "just",
        "there", "here", "one", "ones", "own", "such", "more", "most", "much", "many", "other", "get", "got", "let",
        "make", "made", "go", "went", "come", "came", "take", "took", "say", "said", "s",
    }.ToFrozenSet(StringComparer.Ordinal);

    public static bool IsFunctionWord(string lower) => FunctionWords.Contains(lower);

    /// <summary>
    /// Reads word i as a content word, or null (function word, proper noun, too short, not in WordNet).
    /// <paramref name="known"/> is the synset a WordNet example sentence illustrates: for its own headword the
    /// sense is exact; other words take their most frequent sense of their likeliest part of speech.
    /// </summary>
    public WordSense? Analyse(Sentence s, int i, Synset? known = null)
    {
        var word = s.Word(i);
        var lower = word.ToLowerInvariant();
        if (lower.Length < 3 || IsFunctionWord(lower) || lower.Contains('\'') || (i > 0 && char.IsUpper(word[0]))) return null;
        if (known is not null && known.Words.Contains(lower) && WordNet.IsLemma(lower, known.Pos))
            return new WordSense(i, lower, known.Pos, known, false);
        if (MaybeInflectedVerb(lower)) return null; // "means", "killing": WordNet has no morphology here, so skip rather than misread
        var pos = WordNet.LikeliestPos(lower);
        if (pos is char p)
            return WordNet.Senses(lower, p)[0] is { Proper: false } sense ? new WordSense(i, lower, p, sense, false) : null;
        var singular = Singular(lower);
        if (singular is not null && WordNet.IsLemma(singular, 'n') && !IsFunctionWord(singular) && !WordNet.Senses(singular, 'n')[0].Proper)
            return new WordSense(i, singular, 'n', WordNet.Senses(singular, 'n')[0], true);
        return null;
    }

    private bool MaybeInflectedVerb(string w) =>
        (w.EndsWith('s') && WordNet.IsLemma(w[..^1], 'v')) || (w.EndsWith("es", StringComparison.Ordinal) && WordNet.IsLemma(w[..^2], 'v')) ||
        (w.EndsWith("ed", StringComparison.Ordinal) && (WordNet.IsLemma(w[..^2], 'v') || WordNet.IsLemma(w[..^1], 'v'))) ||
        (w.EndsWith("ing", StringComparison.Ordinal) && (WordNet.IsLemma(w[..^3], 'v') || WordNet.IsLemma(w[..^3] + "e", 'v')));

    public IEnumerable<WordSense> ContentWords(Sentence s, Synset? known = null)
    {
        for (int i = 0; i < s.Count; i++)
            if (Analyse(s, i, known) is { } ws) yield return ws;
    }

    public string? Synonym(WordSense w) => Best(w.Sense.Words, w);

    public string? Hypernym(WordSense w) =>
        w.Pos == 'n' ? Best(WordNet.Related(w.Sense, "@", "@i").Where(h => !h.Proper).SelectMany(h => h.Words), w) : null;

    public string? Hyponym(WordSense w) =>
        w.Pos == 'n' ? Best(WordNet.Related(w.Sense, "~", "~i").Where(h => !h.Proper).SelectMany(h => h.Words), w) : null;

    /// <summary>A co-hyponym (dog → cat): related but not the same meaning — a hard negative.</summary>
    public string? Sibling(WordSense w, Random rng)
    {
        var options = WordNet.Related(w.Sense, "@").SelectMany(h => WordNet.Related(h, "~"))
            .Where(s => s.Key != w.Sense.Key && !s.Proper).SelectMany(s => s.Words)
            .Where(x => Usable(x, w)).Distinct().OrderByDescending(WordNet.Count).ThenBy(x => x, StringComparer.Ordinal).Take(5).ToList();
        return options.Count == 0 ? null : Inflect(options[rng.Next(options.Count)], w);
    }

    public string? Antonym(WordSense w)
    {
        var direct = WordNet.Antonyms(w.Sense, w.Lemma).ToList();
        if (direct.Count == 0 && w.Pos == 'a')
            direct = WordNet.Related(w.Sense, "&").SelectMany(head => head.Words.SelectMany(hw => WordNet.Antonyms(head, hw))).ToList();
        return Best(direct, w);
    }

    /// <summary>A common word of the same part of speech with no relation to the original (an easy negative).</summary>
    public string Unrelated(WordSense w, IReadOnlyList<string> pool, Random rng)
    {
        while (true)
        {
            var candidate = pool[rng.Next(pool.Count)];
            if (candidate != w.Lemma && !w.Sense.Words.Contains(candidate)) return Inflect(candidate, w);
        }
    }

    /// <summary>Common single-word lemmas whose likeliest part of speech is <paramref name="pos"/>, most common first.</summary>
    public IReadOnlyList<string> CommonWords(char pos, int take) => WordNet.WordCounts
        .Where(kv => kv.Key.Length >= 3 && !IsFunctionWord(kv.Key) && !kv.Key.Contains('\'') && !kv.Key.Contains('-') && WordNet.LikeliestPos(kv.Key) == pos)
        .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(take).Select(kv => kv.Key).ToList();

    private string? Best(IEnumerable<string> words, WordSense w)
    {
        var best = words.Where(x => Usable(x, w)).Distinct().OrderByDescending(WordNet.Count).ThenBy(x => x, StringComparer.Ordinal).FirstOrDefault();
        return best is null ? null : Inflect(best, w);
    }

    private bool Usable(string x, WordSense w) =>
        x != w.Lemma && x.All(char.IsAsciiLetterLower) && x.Length >= 3 && !IsFunctionWord(x) && WordNet.Count(x) > 0;

    private static string Inflect(string lemma, WordSense w) => w.Plural ? Plural(lemma) : lemma;

    public static string Plural(string noun) =>
        noun.EndsWith('s') || noun.EndsWith('x') || noun.EndsWith('z') || noun.EndsWith("ch", StringComparison.Ordinal) || noun.EndsWith("sh", StringComparison.Ordinal) ? noun + "es"
        : noun.Length > 1 && noun.EndsWith('y') && !"aeiou".Contains(noun[^2]) ? noun[..^1] + "ies"
        : noun + "s";

    private static string? Singular(string word) =>
        word.EndsWith("ies", StringComparison.Ordinal) ? word[..^3] + "y"
        : word.EndsWith("ches", StringComparison.Ordinal) || word.EndsWith("shes", StringComparison.Ordinal) || word.EndsWith("xes", StringComparison.Ordinal) ? word[..^2]
        : word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal) ? word[..^1]
        : null;
}
