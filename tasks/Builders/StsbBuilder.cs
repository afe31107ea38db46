using System.Globalization;

namespace PeftBench.Tasks.Builders;

/// <summary>
/// STS-B from real WordNet example sentences with at least three content words. Sentence 2 replaces k of the
/// n content words of sentence 1 (k uniform in 1..min(n, 4)), each by a synonym, hypernym, co-hyponym,
/// antonym or unrelated word (uniform among those WordNet offers). The gold score is the meaning kept:
///     score = 5 · (1 − Σᵢ (1 − keptᵢ) / n),   kept: synonym 1, hypernym 0.8, co-hyponym 0.4, antonym 0.3, unrelated 0
/// 10 % of pairs instead pair two different sentences, scored 5 · J with J the Jaccard overlap of their
/// content-word sets (near 0), to fill the bottom of the scale as STS-B's unrelated pairs do.
/// </summary>
public static class StsbBuilder
{
    public static IEnumerable<GlueFile> Build(WordNet wn, WordEdits edits, int seed, int trainRows = 2500, int devRows = 500)
    {
        var rng = Seeded.For(seed, "stsb");
        var pool = SentencePools.Examples(wn).Shuffled(rng);
        int next = 0, index = 0;
        List<string[]> Make(int count, string year)
        {
            var result = new List<string[]>();
            var used = new List<SourceSentence>();
            while (result.Count < count && next < pool.Count)
            {
                var source = pool[next++];
                var s = new Sentence(source.Text);
                var content = edits.Lexicon.ContentWords(s, source.Synset).ToList();
                if (content.Count < 3) continue;
                string text2; double score;
                if (used.Count > 10 && rng.NextDouble() < 0.1)
                {
                    var other = used[rng.Next(used.Count)];
                    text2 = other.Text;
                    var a = content.Select(c => c.Lemma).ToHashSet(StringComparer.Ordinal);
                    var b = edits.Lexicon.ContentWords(new Sentence(other.Text), other.Synset).Select(c => c.Lemma).ToHashSet(StringComparer.Ordinal);
                    score = 5.0 * a.Intersect(b).Count() / Math.Max(1, a.Union(b).Count());
                }
                else
                {
                    int k = 1 + rng.Next(Math.Min(content.Count, 4));
                    var chosen = content.Shuffled(rng).Take(k).Select(w =>
                    {
                        var options = new[] { edits.Synonym(w), edits.Hypernym(w), edits.Sibling(w, rng), edits.Antonym(w) }.OfType<WordEdit>().Append(edits.Unrelated(w, rng)).ToList();
                        return options.Pick(rng);
                    }).ToList();
                    text2 = s.ReplaceMany(chosen.Select(e => (e.Index, e.With)));
                    score = 5.0 * (1 - chosen.Sum(e => 1 - e.Kept) / content.Count);
                }
                used.Add(source);
                var id = (index++).ToString(CultureInfo.InvariantCulture);
                result.Add([id, "main-wordnet", "wn-examples", year, id, "none", "none", source.Text, text2,
                    Math.Round(score, 3).ToString("0.000", CultureInfo.InvariantCulture)]);
            }
            return result;
        }
        string[] header = ["index", "genre", "filename", "year", "old_index", "source1", "source2", "sentence1", "sentence2", "score"];
        yield return new GlueFile("STS-B/train.tsv", header, Make(trainRows, "wn31"), 9);
        yield return new GlueFile("STS-B/dev.tsv", header, Make(devRows, "wn31"), 9);
    }
}
