namespace PeftBench.Tasks.Builders;

/// <summary>
/// One word replacement with its relation to the original word and how much meaning it keeps
/// (<see cref="Kept"/>: synonym 1, hypernym 0.8, co-hyponym 0.4, antonym 0.3, unrelated 0). STS-B scores are
/// computed from these weights; MRPC and QQP use the relation to decide paraphrase or not.
/// </summary>
public sealed record WordEdit(int Index, string With, string Relation, double Kept);

/// <summary>Finds the replacements WordNet offers for the content words of a sentence.</summary>
public sealed class WordEdits(Lexicon lexicon)
{
    private readonly Dictionary<char, IReadOnlyList<string>> common = "nvar".ToDictionary(p => p, p => lexicon.CommonWords(p, 1500));

    public Lexicon Lexicon { get; } = lexicon;

    public WordEdit? Synonym(WordSense w) => Lexicon.Synonym(w) is { } x ? new(w.Index, x, "synonym", 1.0) : null;
    public WordEdit? Hypernym(WordSense w) => Lexicon.Hypernym(w) is { } x ? new(w.Index, x, "hypernym", 0.8) : null;
    public WordEdit? Hyponym(WordSense w) => Lexicon.Hyponym(w) is { } x ? new(w.Index, x, "hyponym", 0.8) : null;
    public WordEdit? Sibling(WordSense w, Random rng) => Lexicon.Sibling(w, rng) is { } x ? new(w.Index, x, "sibling", 0.4) : null;
    public WordEdit? Antonym(WordSense w) => Lexicon.Antonym(w) is { } x ? new(w.Index, x, "antonym", 0.3) : null;
    public WordEdit Unrelated(WordSense w, Random rng) => new(w.Index, Lexicon.Unrelated(w, common[w.Pos], rng), "unrelated", 0.0);

    /// <summary>A meaning-changing edit: antonym when there is one (40 %), else a co-hyponym or an unrelated word.</summary>
    public WordEdit Breaking(WordSense w, Random rng)
    {
        if (rng.NextDouble() < 0.4 && Antonym(w) is { } a) return a;
        if (rng.NextDouble() < 0.6 && Sibling(w, rng) is { } s) return s;
        return Unrelated(w, rng);
    }
}
