using System.Collections.Frozen;
using System.Collections.Immutable;

namespace PeftBench.Tasks.Builders;

/// <summary>A hypothesis made from a premise by one edit, with the edit's name (kept for the build log).</summary>
public sealed record Hypothesis(string Text, string Operation);

/// <summary>
/// The premise → hypothesis edits shared by MNLI and RTE, each a single WordNet-grounded change:
///   entailment     hypernym generalisation of a noun (dog → animal), synonym substitution, dropped adjective
///   neutral        hyponym specialisation of a noun (animal → dog), an added unverifiable adjective
///   contradiction  antonym substitution, negation of an auxiliary (was → wasn't: same word count)
/// Negation uses contractions so that contradictions are not one word longer than entailments; adding and
/// dropping an adjective (±1 word) are kept rare (20 %) for the same reason.
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

    private static readonly FrozenSet<string> Determiners = new[] { "the", "a", "an", "his", "her", "their", "my", "your", "our", "its", "this", "that" }.ToFrozenSet(StringComparer.Ordinal);

    // Details a premise cannot verify; chosen by initial sound so that "a"/"an" stays right.
    private static readonly ImmutableArray<string> ConsonantDetails = ["young", "small", "large", "new", "famous", "local", "red", "quiet", "tall", "strange", "busy", "popular"];
    private static readonly ImmutableArray<string> VowelDetails = ["old", "elderly", "ancient", "unusual", "angry", "expensive", "enormous", "important", "ordinary", "empty"];

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
        switch (label)
        {
            case "entailment":
                Add(0.45, "hypernym", content.Select(edits.Hypernym));
                Add(0.35, "synonym", content.Select(edits.Synonym));
                var adjectives = Modifiers(s, content).ToList();
                if (adjectives.Count > 0) options.Add((0.2, () => new Hypothesis(s.Delete(adjectives.Pick(rng)), "drop-adjective")));
                break;
            case "neutral":
                Add(0.8, "hyponym", content.Select(edits.Hyponym));
                var slots = Enumerable.Range(1, Math.Max(0, s.Count - 1)).Where(i => Determiners.Contains(s.Lower(i - 1)) && content.Any(c => c.Index == i && c.Pos == 'n')).ToList();
                if (slots.Count > 0) options.Add((0.2, () =>
                {
                    int i = slots.Pick(rng);
                    bool vowel = s.Lower(i - 1) == "an" || (s.Lower(i - 1) != "a" && rng.Next(2) == 0);
                    return new Hypothesis(s.InsertBefore(i, (vowel ? VowelDetails : ConsonantDetails).Pick(rng)), "add-detail");
                }));
                break;
            default:
                Add(0.5, "antonym", content.Select(edits.Antonym));
                var auxiliaries = Enumerable.Range(0, s.Count).Where(i => Negations.ContainsKey(s.Lower(i)) && (i + 1 >= s.Count || s.Lower(i + 1) is not ("not" or "never"))).ToList();
                if (auxiliaries.Count > 0) options.Add((0.5, () => { int i = auxiliaries.Pick(rng); return new Hypothesis(s.Replace(i, Negations[s.Lower(i)]), "negation"); }));
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
