using System.Collections.Frozen;

namespace PeftBench.Tasks.Builders;

/// <summary>
/// CoLA from real WordNet example sentences: 70 % are kept as they are (acceptable, label 1), 30 % receive one
/// deterministic corruption (unacceptable, label 0). Corruption types, chosen uniformly among those that apply:
///   agreement  is↔are, was↔were, has↔have, does↔do ("The shoes was expensive")
///   swap       a determiner or preposition swapped with the next word ("He ate apple the")
///   drop       a required function word removed ("He went the store")
///   double     a function word doubled ("He went to to the store")
///   verbform   the verb after a modal or "to" given -ing or -s ("She can swims")
/// Acceptable and corrupted sentences are drawn from the same pool (sentences where some corruption applies),
/// so that the presence of a function word says nothing about the label. The type is recorded in the source
/// column (wn31-swap …), which the task never reads, like CoLA's own source codes.
/// </summary>
public static class ColaBuilder
{
    private static readonly FrozenDictionary<string, string> Agreement = new Dictionary<string, string>
    {
        ["is"] = "are", ["are"] = "is", ["was"] = "were", ["were"] = "was", ["has"] = "have", ["have"] = "has", ["does"] = "do", ["do"] = "does",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenSet<string> Swappable = new[]
        { "the", "a", "an", "of", "in", "on", "to", "for", "with", "at", "by", "from", "his", "her", "their", "my", "your", "its", "our", "this" }
        .ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string> Droppable = new[] { "the", "a", "an", "of", "to", "is", "was", "are", "were", "has", "have" }.ToFrozenSet(StringComparer.Ordinal);
    private static readonly FrozenSet<string> Doublable = new[] { "the", "a", "to", "of", "in", "is", "was" }.ToFrozenSet(StringComparer.Ordinal);
    private static readonly FrozenSet<string> VerbGovernors = new[] { "to", "can", "could", "will", "would", "should", "must", "may", "might" }.ToFrozenSet(StringComparer.Ordinal);

    public static IEnumerable<GlueFile> Build(WordNet wn, int seed, TextWriter log, int trainRows = 3400, int devRows = 600)
    {
        var rng = Seeded.For(seed, "cola");
        var pool = SentencePools.Examples(wn).Select(s => new Sentence(s.Text)).Where(s => Corruptions(s, wn).Any()).Shuffled(rng);
        var typeCounts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        List<string[]> Make(IEnumerable<Sentence> sentences, int rows)
        {
            var list = sentences.Take(rows).ToList();
            int unacceptable = (int)Math.Round(rows * 0.3);
            var result = new List<string[]>();
            for (int k = 0; k < list.Count; k++)
            {
                if (k >= unacceptable) { result.Add(["wn31", "1", "", list[k].Text]); continue; }
                var options = Corruptions(list[k], wn).ToList();
                var types = options.Select(o => o.Type).Distinct().OrderBy(t => t, StringComparer.Ordinal).ToList();
                var type = types.Pick(rng);
                var chosen = options.Where(o => o.Type == type).ToList().Pick(rng);
                typeCounts[type] = typeCounts.GetValueOrDefault(type) + 1;
                result.Add(["wn31-" + type, "0", "*", chosen.Apply()]);
            }
            return result.Shuffled(rng);
        }
        var train = Make(pool, trainRows);
        var dev = Make(pool.Skip(trainRows), devRows);
        log.WriteLine($"  CoLA corruption types: {string.Join(", ", typeCounts.Select(kv => $"{kv.Key} {kv.Value}"))}");
        yield return new GlueFile("CoLA/train.tsv", null, train, 1);
        yield return new GlueFile("CoLA/dev.tsv", null, dev, 1);
    }

    /// <summary>Every corruption that applies to the sentence, as (type, deferred edit).</summary>
    public static IEnumerable<(string Type, Func<string> Apply)> Corruptions(Sentence s, WordNet wn)
    {
        for (int i = 0; i < s.Count; i++)
        {
            var w = s.Lower(i);
            int at = i;
            if (Agreement.TryGetValue(w, out var other)) yield return ("agreement", () => s.Replace(at, other));
            if (i == 0) continue; // edits at the first word would move the capital letter
            if (Swappable.Contains(w) && i + 1 < s.Count && Between(s, i) == " " && !Swappable.Contains(s.Lower(i + 1)) && !char.IsUpper(s.Word(i + 1)[0]))
                yield return ("swap", () => s.Swap(at));
            if (Droppable.Contains(w)) yield return ("drop", () => s.Delete(at));
            if (Doublable.Contains(w)) yield return ("double", () => s.InsertBefore(at, w));
            if (VerbGovernors.Contains(s.Lower(i - 1)) && Between(s, i - 1) == " " && !Lexicon.IsFunctionWord(w) && wn.IsLemma(w, 'v') && w.Length > 2)
                yield return ("verbform", () => s.Replace(at, (at + w.Length) % 2 == 0 ? Ing(w) : Lexicon.Plural(w)));
        }
    }

    private static string Between(Sentence s, int i) =>
        s.Text.Substring(s.Spans[i].Start + s.Spans[i].Length, s.Spans[i + 1].Start - s.Spans[i].Start - s.Spans[i].Length);

    private static string Ing(string verb) =>
        verb.EndsWith("ie", StringComparison.Ordinal) ? verb[..^2] + "ying"
        : verb.EndsWith('e') && !verb.EndsWith("ee", StringComparison.Ordinal) ? verb[..^1] + "ing"
        : verb + "ing";
}
