using System.Collections.Immutable;
using System.Globalization;

namespace PeftBench.Tasks.Builders;

/// <summary>
/// QQP from WordNet synsets with at least two common lemmas: questions about a word from three question
/// families (its meaning, its opposite, its use), each with several phrasings. Duplicates (37 %, as in QQP):
/// the same family asked about X and about a synonym Y of X, or about X in two phrasings. Non-duplicates are
/// mostly hard: the same family about an antonym, co-hyponym or hypernym of X, or another family about X itself;
/// a fifth are easy (an unrelated common word). One pair per synset; train and dev synsets are disjoint.
/// </summary>
public static class QqpBuilder
{
    private static readonly ImmutableArray<ImmutableArray<string>> Families =
    [
        ["What does {0} mean?", "What is the meaning of {0}?", "What is the definition of {0}?", "How do you define {0}?", "What is meant by {0}?", "Can someone explain what {0} means?"],
        ["What is the opposite of {0}?", "What is an antonym of {0}?", "What word means the opposite of {0}?"],
        ["How do you use {0} in a sentence?", "How is the word {0} used?", "What is an example sentence with {0}?"],
    ];

    public static IEnumerable<GlueFile> Build(WordNet wn, WordEdits edits, int seed, int trainRows = 3000, int devRows = 600)
    {
        var rng = Seeded.For(seed, "qqp");
        var synsets = wn.Synsets.Values.Where(s => s.Pos != 'r' && !s.Proper)
            .Select(s => (Synset: s, Lemmas: s.Words.Where(w => w.All(c => char.IsAsciiLetterLower(c) || c == '_') && w.Length >= 3 && wn.Count(w.Split('_')[0]) > 0).ToList()))
            .Where(x => x.Lemmas.Count >= 2 && x.Lemmas.Count(l => !l.Contains('_')) >= 1)
            .OrderBy(x => x.Synset.Key, StringComparer.Ordinal).Shuffled(rng);
        var questionIds = new Dictionary<string, int>(StringComparer.Ordinal);
        int QuestionId(string q) => questionIds.TryGetValue(q, out var id) ? id : questionIds[q] = questionIds.Count + 1;
        int next = 0, pairId = 0;
        var askedWords = new HashSet<string>(StringComparer.Ordinal); // one pair per head word, so no question recurs across splits
        List<string[]> Make(int count)
        {
            var result = new List<string[]>();
            while (result.Count < count && next < synsets.Count)
            {
                var (synset, lemmas) = synsets[next++];
                var x = lemmas.Where(l => !l.Contains('_')).OrderByDescending(wn.Count).ThenBy(l => l, StringComparer.Ordinal).First();
                if (!askedWords.Add(x)) continue;
                var sense = new WordSense(0, x, synset.Pos, synset, false);
                int family = rng.Next(Families.Length);
                var phrasings = Families[family];
                int i = rng.Next(phrasings.Length), j = (i + 1 + rng.Next(phrasings.Length - 1)) % phrasings.Length;
                string q1 = Ask(phrasings[i], x), q2;
                bool duplicate = rng.NextDouble() < 0.37;
                double r = rng.NextDouble();
                if (duplicate)
                {
                    // asking for example sentences with two synonyms is not the same question: that family pairs the same word only
                    var y = family == 2 ? x : lemmas.Where(l => l != x).ToList().Pick(rng);
                    // synonym in another phrasing, synonym in the same phrasing, or the same word in another phrasing
                    q2 = r < 0.6 ? Ask(phrasings[j], y) : r < 0.8 ? Ask(phrasings[i], y) : Ask(phrasings[j], x);
                }
                else if (r < 0.25)
                {
                    var other = Families[(family + 1 + rng.Next(Families.Length - 1)) % Families.Length];
                    q2 = Ask(other.Pick(rng), x);
                }
                else
                {
                    var z = r < 0.8 ? (edits.Antonym(sense) ?? edits.Sibling(sense, rng) ?? edits.Hypernym(sense))?.With : null;
                    z ??= edits.Unrelated(sense, rng).With;
                    q2 = Ask(phrasings[j], z);
                }
                if (q1 == q2) continue;
                var id = (pairId++).ToString(CultureInfo.InvariantCulture);
                result.Add([id, QuestionId(q1).ToString(CultureInfo.InvariantCulture), QuestionId(q2).ToString(CultureInfo.InvariantCulture), q1, q2, duplicate ? "1" : "0"]);
            }
            return result;
        }
        string[] header = ["id", "qid1", "qid2", "question1", "question2", "is_duplicate"];
        yield return new GlueFile("QQP/train.tsv", header, Make(trainRows), 5);
        yield return new GlueFile("QQP/dev.tsv", header, Make(devRows), 5);
    }

    private static string Ask(string phrasing, string lemma) => string.Format(CultureInfo.InvariantCulture, phrasing, lemma.Replace('_', ' '));
}
