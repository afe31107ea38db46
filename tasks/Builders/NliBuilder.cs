using System.Globalization;

namespace PeftBench.Tasks.Builders;

/// <summary>
/// MNLI and RTE from real premises and the edits of <see cref="NliEdits"/>. MNLI: every premise gets one
/// hypothesis per label (as MNLI prompts do), so a premise alone says nothing about the label; train and
/// dev_matched use WordNet example sentences (genre "example"), dev_mismatched uses WordNet definitions (genre
/// "gloss"). RTE: every premise gets one entailed and one not-entailed hypothesis (neutral or contradiction).
/// Premises never repeat across splits.
/// </summary>
public static class NliBuilder
{
    public static IEnumerable<GlueFile> BuildMnli(WordNet wn, NliEdits nli, int seed, TextWriter log, int trainRows = 3600, int devRows = 600)
    {
        var rng = Seeded.For(seed, "mnli");
        var examples = SentencePools.Examples(wn).Shuffled(rng);
        var glosses = SentencePools.Glosses(wn).Shuffled(rng);
        int nextExample = 0, nextGloss = 0, index = 0;
        var ops = new SortedDictionary<string, int>(StringComparer.Ordinal);
        List<string[]> Make(List<SourceSentence> pool, ref int next, int count, string genre, bool dev)
        {
            var result = new List<string[]>();
            while (result.Count < count && next < pool.Count)
            {
                var premise = pool[next++];
                var hypotheses = NliEdits.Labels.Select(l => (Label: l, H: nli.Make(premise, l, rng))).ToList();
                if (hypotheses.Any(h => h.H is null)) continue; // only premises that allow all three labels
                int prompt = index;
                foreach (var (label, h) in hypotheses)
                {
                    ops[h!.Operation] = ops.GetValueOrDefault(h.Operation) + 1;
                    var id = (index++).ToString(CultureInfo.InvariantCulture);
                    var labels = dev ? Enumerable.Repeat(label, 5) : [label];
                    // Parse columns are left empty: no parser is available offline, and the task reads sentence1/sentence2 only.
                    result.Add([id, prompt.ToString(CultureInfo.InvariantCulture), id + label[0], genre, "", "", "", "", premise.Text, h.Text, .. labels, label]);
                }
            }
            return result.Shuffled(rng);
        }
        string[] parses = ["index", "promptID", "pairID", "genre", "sentence1_binary_parse", "sentence2_binary_parse", "sentence1_parse", "sentence2_parse", "sentence1", "sentence2"];
        string[] trainHeader = [.. parses, "label1", "gold_label"];
        string[] devHeader = [.. parses, "label1", "label2", "label3", "label4", "label5", "gold_label"];
        var train = Make(examples, ref nextExample, trainRows, "example", false);
        var matched = Make(examples, ref nextExample, devRows, "example", true);
        var mismatched = Make(glosses, ref nextGloss, devRows, "gloss", true);
        log.WriteLine($"  MNLI operations: {string.Join(", ", ops.Select(kv => $"{kv.Key} {kv.Value}"))}");
        yield return new GlueFile("MNLI/train.tsv", trainHeader, train, 11);
        yield return new GlueFile("MNLI/dev_matched.tsv", devHeader, matched, 15);
        yield return new GlueFile("MNLI/dev_mismatched.tsv", devHeader, mismatched, 15);
    }

    public static IEnumerable<GlueFile> BuildRte(WordNet wn, NliEdits nli, int seed, int trainRows = 2490, int devRows = 277)
    {
        var rng = Seeded.For(seed, "rte");
        var pool = SentencePools.Examples(wn).Where(s => new Sentence(s.Text).Count >= 8).Shuffled(rng);
        int next = 0, index = 0;
        List<string[]> Make(int count)
        {
            var result = new List<string[]>();
            while (result.Count < count && next < pool.Count)
            {
                var premise = pool[next++];
                var yes = nli.Make(premise, "entailment", rng);
                var no = nli.Make(premise, rng.Next(2) == 0 ? "neutral" : "contradiction", rng);
                if (yes is null || no is null) continue;
                result.Add([(index++).ToString(CultureInfo.InvariantCulture), premise.Text, yes.Text, "entailment"]);
                if (result.Count < count) result.Add([(index++).ToString(CultureInfo.InvariantCulture), premise.Text, no.Text, "not_entailment"]);
            }
            return result.Shuffled(rng);
        }
        string[] header = ["index", "sentence1", "sentence2", "label"];
        yield return new GlueFile("RTE/train.tsv", header, Make(trainRows), 3);
        yield return new GlueFile("RTE/dev.tsv", header, Make(devRows), 3);
    }
}
