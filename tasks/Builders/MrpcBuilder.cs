using System.Globalization;

namespace PeftBench.Tasks.Builders;

/// <summary>
/// MRPC from real WordNet example sentences (≥ 6 words). Sentence 2 edits k = 1–3 content words of sentence 1:
/// a paraphrase (68 %, as in MRPC) replaces them all with WordNet synonyms of their sense; a non-paraphrase
/// replaces k−1 with synonyms and one with an antonym, a co-hyponym (dog → cat) or an unrelated word, so both
/// classes have the same number of edits and the negatives are hard.
/// </summary>
public static class MrpcBuilder
{
    public static IEnumerable<GlueFile> Build(WordNet wn, WordEdits edits, int seed, int trainRows = 2500, int devRows = 408)
    {
        var rng = Seeded.For(seed, "mrpc");
        var pool = SentencePools.Examples(wn).Where(s => new Sentence(s.Text).Count >= 6).Shuffled(rng);
        int next = 0;
        List<string[]> Make(int count)
        {
            var result = new List<string[]>();
            while (result.Count < count && next < pool.Count)
            {
                var source = pool[next++];
                var s = new Sentence(source.Text);
                var content = edits.Lexicon.ContentWords(s, source.Synset).ToList();
                var synonyms = content.Select(edits.Synonym).OfType<WordEdit>().ToList();
                if (synonyms.Count == 0 || content.Count < 2) continue;
                bool positive = rng.NextDouble() < 0.68;
                int k = 1 + rng.Next(Math.Min(3, synonyms.Count));
                var chosen = synonyms.Shuffled(rng).Take(k).ToList();
                if (!positive)
                {
                    var victim = content.Shuffled(rng)[0];
                    chosen = chosen.Where(e => e.Index != victim.Index).Take(k - 1).Append(edits.Breaking(victim, rng)).ToList();
                }
                var text2 = s.ReplaceMany(chosen.Select(e => (e.Index, e.With)));
                if (text2 == source.Text) continue;
                int id = 1000000 + 7 * next;
                result.Add([positive ? "1" : "0", id.ToString(CultureInfo.InvariantCulture), (id + 1).ToString(CultureInfo.InvariantCulture), source.Text, text2]);
            }
            return result;
        }
        string[] header = ["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"];
        yield return new GlueFile("MRPC/train.tsv", header, Make(trainRows), 0);
        yield return new GlueFile("MRPC/dev.tsv", header, Make(devRows), 0);
    }
}
