using System.Globalization;

namespace PeftBench.Tasks.Builders;

/// <summary>
/// QNLI from WordNet glosses: the question asks what a word means ("What is a X?", "What does it mean to X?"),
/// the sentence is a real WordNet definition. Entailment (50 %): the definition of X's own sense. Not
/// entailment: the definition of its hypernym (40 %, hard: topically close), of a co-hyponym (30 %, hard) or of
/// a random synset of the same part of speech. Definitions that contain the word or its stem are skipped, so the
/// answer cannot be found by string matching. Train and dev question synsets are disjoint.
/// </summary>
public static class QnliBuilder
{
    public static IEnumerable<GlueFile> Build(WordNet wn, int seed, int trainRows = 2500, int devRows = 600)
    {
        var rng = Seeded.For(seed, "qnli");
        bool Usable(Synset s) { var n = WordNet.WordPattern().Matches(s.Definition).Count; return n >= 4 && n <= 30 && s.Definition.All(c => c is >= ' ' and <= '~'); }
        var all = wn.Synsets.Values.Where(s => s.Pos is 'n' or 'v' or 'a' && Usable(s)).OrderBy(s => s.Key, StringComparer.Ordinal).ToList();
        var byPos = all.GroupBy(s => s.Pos).ToDictionary(g => g.Key, g => g.ToList());
        var questions = all.Where(s => !s.Proper && s.Words[0].All(c => char.IsAsciiLetterLower(c) || c == '_') && wn.Count(s.Words[0].Split('_')[0]) > 2).Shuffled(rng);
        int next = 0, index = 0;
        var askedWords = new HashSet<string>(StringComparer.Ordinal); // one question per word, so no question text recurs across splits
        List<string[]> Make(int count)
        {
            var result = new List<string[]>();
            while (result.Count < count && next < questions.Count)
            {
                var synset = questions[next++];
                var word = synset.Words[0].Replace('_', ' ');
                if (!askedWords.Add(word)) continue;
                bool entailment = rng.NextDouble() < 0.5;
                Synset? answer = synset;
                if (!entailment)
                {
                    double r = rng.NextDouble();
                    var hypernyms = wn.Related(synset, "@", "@i").Where(Usable).ToList();
                    var siblings = hypernyms.SelectMany(h => wn.Related(h, "~")).Where(s => s.Key != synset.Key && Usable(s)).ToList();
                    answer = r < 0.4 && hypernyms.Count > 0 ? hypernyms.Pick(rng)
                        : r < 0.7 && siblings.Count > 0 ? siblings.Pick(rng)
                        : byPos[synset.Pos].Pick(rng);
                    if (answer.Key == synset.Key || answer.Words.Contains(synset.Words[0])) continue;
                }
                // the word's stem ("meteor" for "meteoric") in the definition would give the answer away by string matching
                var stem = word.Length > 6 ? word[..(word.Length - 3)] : word;
                if (answer.Definition.Contains(stem, StringComparison.OrdinalIgnoreCase)) continue;
                var sentence = Sentence.Capitalize(answer.Definition) + ".";
                result.Add([(index++).ToString(CultureInfo.InvariantCulture), Question(synset.Pos, word, rng), sentence, entailment ? "entailment" : "not_entailment"]);
            }
            return result;
        }
        string[] header = ["index", "question", "sentence", "label"];
        yield return new GlueFile("QNLI/train.tsv", header, Make(trainRows), 3);
        yield return new GlueFile("QNLI/dev.tsv", header, Make(devRows), 3);
    }

    private static string Question(char pos, string word, Random rng)
    {
        string[] forms = pos switch
        {
            'n' => [$"What is {("aeiou".Contains(word[0]) ? "an" : "a")} {word}?", $"What does the word {word} refer to?", $"What is meant by {word}?"],
            'v' => [$"What does it mean to {word}?", $"What does {word} mean?", $"What do people mean when they say {word}?"],
            _ => [$"What does {word} mean?", $"What does it mean to be {word}?", $"What is meant by {word}?"],
        };
        return forms[rng.Next(forms.Length)];
    }
}
