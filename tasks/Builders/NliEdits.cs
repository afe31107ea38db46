using System.Collections.Frozen;
using System.Collections.Immutable;

namespace PeftBench.Tasks.Builders;

/// <summary>A hypothesis made from a premise by one edit, with the edit's name (kept for the build log).</summary>
public sealed record Hypothesis(string Text, string Operation);

/// <summary>
/// The premise → hypothesis edits shared by MNLI and RTE, each a WordNet-grounded change:
///   entailment     hypernym generalisation of a noun (dog → animal), synonym substitution, dropped adjective,
///                  negated antonym (is small → isn't large)
///   neutral        hyponym specialisation of a noun (animal → dog), an added unverifiable adjective,
///                  negated hyponym (bought a dog → didn't buy… a poodle: unknown)
///   contradiction  antonym substitution, negation of an auxiliary (was → wasn't), negated hypernym
///                  (was a dog → wasn't an animal)
/// Negation uses contractions so that contradictions are not one word longer than entailments; adding and
/// dropping an adjective (±1 word) are kept rare for the same reason. The negated compounds put "n't" into
/// all three labels, so that negation alone does not give contradiction away (the best-known hypothesis-only
/// cue of real MNLI, which we would otherwise exaggerate).
/// </summary>
public sealed class NliEdits(WordEdits edits)
{
    public static readonly ImmutableArray<string> Labels = ["entailment", "neutral", "contradiction"];

    private static readonly FrozenDictionary<string, string> Negations = new Dictionary<string, string>
    {
        ["is"] = "isn't", ["are"] = "aren't", ["was"] = "wasn't", ["were"] = "weren't", ["can"] = "cannot", ["could"] = "couldn't",
        ["will"] = "won't", ["would"] = "wouldn't", ["should"] = "shouldn't", ["does"] = "doesn't", ["do"] = "don't", ["did"] = "didn't",
        ["has"] = "hasn't", ["have"] = "haven't", ["had"] = "hadn't", ["must"] = "mustn't",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenSet<string> Governors = new[] { "shall", "will", "would", "can", "could", "should", "must", "may", "might", "to", "not", "never" }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string> Determiners = new[] { "the", "a", "an", "his", "her", "their", "my", "your", "our", "its", "this", "that" }.ToFrozenSet(StringComparer.Ordinal);

    // Details a premise cannot verify: the 400 commonest WordNet adjectives, split by initial letter so that
    // "a"/"an" stays right. A large pool keeps any single added adjective from marking hypotheses as neutral.
    private readonly IReadOnlyList<string> consonantDetails = edits.Lexicon.CommonWords('a', 400).Where(a => !"aeiou".Contains(a[0])).ToList();
    private readonly IReadOnlyList<string> vowelDetails = edits.Lexicon.CommonWords('a', 400).Where(a => "aeiou".Contains(a[0])).ToList();

    /// <summary>One hypothesis per label that the premise allows (null where no edit applies).</summary>
    public Hypothesis? Make(SourceSentence premise, string label, Random rng)
    {
        var s = new Sentence(premise.Text);
        var content = edits.Lexicon.ContentWords(s, premise.Synset).ToList();
        var options = new List<(double Weight, Func<Hypothesis?> Make)>();
        void Add(double weight, string op, IEnumerable<WordEdit?> found)
        {
            var list = found.OfType<WordEdit>().ToList();
            if (list.Count > 0) options.Add((weight, () => { var e = list.Pick(rng); return new Hypothesis(s.Replace(e.Index, e.With), op); }));
        }
        // an auxiliary already negated, or governed by a modal ("shall have"), is not negated again
        var auxiliaries = Enumerable.Range(0, s.Count).Where(i => Negations.ContainsKey(s.Lower(i)) && (i + 1 >= s.Count || s.Lower(i + 1) is not ("not" or "never"))
            && (i == 0 || !Governors.Contains(s.Lower(i - 1)))).ToList();
        void AddNegated(double weight, string op, IEnumerable<WordEdit?> found)
        {
            var pairs = found.OfType<WordEdit>().SelectMany(e => auxiliaries.Where(a => a != e.Index).Select(a => (Edit: e, Aux: a))).ToList();
            if (pairs.Count > 0) options.Add((weight, () =>
            {
                var (e, a) = pairs.Pick(rng);
                return new Hypothesis(s.ReplaceMany([(e.Index, e.With), (a, Negations[s.Lower(a)])]), op);
            }));
        }
        switch (label)
        {
            case "entailment":
                Add(0.35, "hypernym", content.Select(edits.Hypernym));
                Add(0.3, "synonym", content.Select(edits.Synonym));
                AddNegated(0.6, "negated-antonym", content.Select(edits.Antonym));
                var adjectives = Modifiers(s, content).ToList();
                if (adjectives.Count > 0) options.Add((0.15, () => new Hypothesis(s.Delete(adjectives.Pick(rng)), "drop-adjective")));
                break;
            case "neutral":
                Add(0.6, "hyponym", content.Select(edits.Hyponym));
                AddNegated(0.6, "negated-hyponym", content.Select(edits.Hyponym));
                var slots = Enumerable.Range(1, Math.Max(0, s.Count - 1)).Where(i => Determiners.Contains(s.Lower(i - 1)) && content.Any(c => c.Index == i && c.Pos == 'n')).ToList();
                if (slots.Count > 0) options.Add((0.2, () =>
                {
                    int i = slots.Pick(rng);
                    bool vowel = s.Lower(i - 1) == "an" || (s.Lower(i - 1) != "a" && rng.Next(2) == 0);
                    return new Hypothesis(s.InsertBefore(i, (vowel ? vowelDetails : consonantDetails).Pick(rng)), "add-detail");
                }));
                break;
            default:
                // negation weights kept low so that "n't" is about as frequent here as in entailment and neutral
                Add(0.6, "antonym", content.Select(edits.Antonym));
                AddNegated(0.2, "negated-hypernym", content.Select(edits.Hypernym));
                if (auxiliaries.Count > 0) options.Add((0.2, () => { int i = auxiliaries.Pick(rng); return new Hypothesis(s.Replace(i, Negations[s.Lower(i)]), "negation"); }));
                break;
        }
        if (options.Count == 0) return null;
        double total = options.Sum(o => o.Weight), x = rng.NextDouble() * total;
        foreach (var (weight, make) in options) { if ((x -= weight) <= 0) return make(); }
        return options[^1].Make();
    }

    /// <summary>Adjectives directly before a noun, not sentence-initial: dropping them generalises the noun phrase.</summary>
    private static IEnumerable<int> Modifiers(Sentence s, List<WordSense> content) =>
        content.Where(c => c.Pos == 'a' && c.Index > 0 && content.Any(n => n.Index == c.Index + 1 && n.Pos == 'n') &&
                           s.Text[s.Spans[c.Index].Start + s.Spans[c.Index].Length] == ' ').Select(c => c.Index);
}
