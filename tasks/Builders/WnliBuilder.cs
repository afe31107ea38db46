using System.Collections.Immutable;
using System.Globalization;

namespace PeftBench.Tasks.Builders;

/// <summary>
/// WNLI from Winograd-style twin templates filled with real, common WordNet nouns of the right kind (people:
/// noun.person, animals: noun.animal, objects: noun.artifact). Each template has a pronoun whose referent flips
/// with one "special" word (too big → the first noun, too small → the second). Sentence 2 is the pronoun's
/// clause with the pronoun replaced by one candidate; label 1 when it is the referent. Every sentence 1 appears
/// with both candidates, so the label is exactly balanced and cannot be read off sentence 1; train and dev use
/// disjoint nouns.
/// </summary>
public static class WnliBuilder
{
    private sealed record Template(int LexFile, string Sentence, string Clause, string[] Specials);

    // {0}, {1}: the candidates; {2}: the special word. Specials[0] makes {0} the referent, Specials[1] makes it {1}.
    private static readonly ImmutableArray<Template> Templates =
    [
        new(6, "The {0} did not fit into the {1} because it was too {2}.", "The {0} was too {2}.", ["big", "small"]),
        new(6, "The {0} broke the {1} because it was so {2}.", "The {0} was so {2}.", ["hard", "fragile"]),
        new(6, "The {0} could not cut the {1} because it was too {2}.", "The {0} was too {2}.", ["blunt", "tough"]),
        new(18, "The {0} thanked the {1} because they had {2}.", "The {0} had {2}.", ["received help", "given help"]),
        new(18, "The {0} could not lift the {1} because they were too {2}.", "The {0} was too {2}.", ["weak", "heavy"]),
        new(18, "The {0} asked the {1} for advice because they were {2}.", "The {0} was {2}.", ["confused", "experienced"]),
        new(18, "The {0} beat the {1} at chess because they were the {2} player.", "The {0} was the {2} player.", ["stronger", "weaker"]),
        new(18, "The {0} envied the {1} because they were so {2}.", "The {0} was so {2}.", ["unlucky", "successful"]),
        new(18, "The {0} called the {1} but they did not {2}.", "The {0} did not {2}.", ["get through", "answer"]),
        new(5, "The {0} ran away from the {1} because it was {2}.", "The {0} was {2}.", ["frightened", "dangerous"]),
        new(5, "The {0} could not catch the {1} because it was too {2}.", "The {0} was too {2}.", ["slow", "fast"]),
        new(5, "The {0} followed the {1} because it was {2}.", "The {0} was {2}.", ["curious", "leading the way"]),
    ];

    public static IEnumerable<GlueFile> Build(WordNet wn, int seed, int trainRows = 636, int devRows = 72)
    {
        var rng = Seeded.For(seed, "wnli");
        // Common nouns whose most frequent sense is of the template's kind; 80/20 split so dev nouns are unseen.
        var nouns = new[] { 5, 6, 18 }.ToDictionary(f => f, f =>
        {
            var list = wn.WordCounts.Keys.Where(w => w.Length >= 3 && w.All(char.IsAsciiLetterLower) && wn.LikeliestPos(w) == 'n' && wn.Senses(w, 'n')[0] is { Proper: false } s && s.LexFile == f)
                .OrderByDescending(wn.Count).ThenBy(w => w, StringComparer.Ordinal).Take(60).Shuffled(rng);
            return (Train: list.Take(48).ToList(), Dev: list.Skip(48).ToList());
        });
        int index = 0;
        List<string[]> Make(int count, bool dev)
        {
            var result = new List<string[]>();
            while (result.Count < count)
            {
                var t = Templates.Pick(rng);
                var pool = dev ? nouns[t.LexFile].Dev : nouns[t.LexFile].Train;
                var a = pool.Pick(rng);
                var b = pool.Pick(rng);
                if (a == b || wn.Senses(a, 'n')[0].Words.Contains(b)) continue; // synonyms would make both readings true
                int which = rng.Next(2);
                var sentence = string.Format(CultureInfo.InvariantCulture, t.Sentence, a, b, t.Specials[which]);
                foreach (var (candidate, correct) in new[] { (a, which == 0), (b, which == 1) }.Shuffled(rng))
                    result.Add([(index++).ToString(CultureInfo.InvariantCulture), sentence,
                        string.Format(CultureInfo.InvariantCulture, t.Clause, candidate, "", t.Specials[which]), correct ? "1" : "0"]);
            }
            return result.Take(count).ToList();
        }
        string[] header = ["index", "sentence1", "sentence2", "label"];
        yield return new GlueFile("WNLI/train.tsv", header, Make(trainRows, false), 3);
        yield return new GlueFile("WNLI/dev.tsv", header, Make(devRows, true), 3);
    }
}
