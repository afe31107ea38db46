namespace PeftBench.Tasks.Builders;

/// <summary>A real sentence with the synset whose gloss it came from.</summary>
public sealed record SourceSentence(string Text, Synset Synset);

/// <summary>
/// The real sentences the WordNet-derived tasks start from: the quoted example sentences of WordNet 3.1
/// glosses (genre "example") and the definitions themselves (genre "gloss", MNLI's mismatched genre). Both are
/// filtered to plain ASCII sentences of 4–25 words, capitalised and given a final full stop when they lack
/// one, de-duplicated and sorted so that every builder starts from the same ordered list.
/// </summary>
public static class SentencePools
{
    public static List<SourceSentence> Examples(WordNet wn) => Collect(wn, s => s.Examples, requireCapital: true);

    public static List<SourceSentence> Glosses(WordNet wn) => Collect(wn, s => [s.Definition], requireCapital: false);

    private static List<SourceSentence> Collect(WordNet wn, Func<Synset, IEnumerable<string>> texts, bool requireCapital)
    {
        var seen = new Dictionary<string, SourceSentence>(StringComparer.Ordinal);
        foreach (var synset in wn.Synsets.Values)
            foreach (var raw in texts(synset))
            {
                var text = raw.Trim();
                if (text.Length == 0 || !text.All(c => c is >= ' ' and <= '~') || text.Contains('"') || text.Contains('`')) continue;
                if (requireCapital && !char.IsAsciiLetterUpper(text[0])) continue;
                var words = WordNet.WordPattern().Matches(text).Count;
                if (words < 4 || words > 25) continue;
                text = Sentence.Capitalize(text);
                if (!".?!".Contains(text[^1])) text += ".";
                seen.TryAdd(text, new SourceSentence(text, synset));
            }
        return seen.Values.OrderBy(s => s.Text, StringComparer.Ordinal).ToList();
    }
}
