using System.Text.Json;
using System.Text.RegularExpressions;

namespace PeftBench.Tasks.Builders;

/// <summary>
/// SST-2 from the 3,000 real UCI Sentiment Labelled Sentences (Kotzias et al., 2015; IMDb, Amazon and Yelp
/// reviews, 500 negative and 500 positive each). Split 80/20 stratified by (site, class), seeded, so that train
/// and dev have the same mix of domains and classes. The corpus repeats a few short sentences ("Great food."):
/// repeats are dropped (all copies when their labels disagree) so that no dev sentence is also in train.
/// </summary>
public static partial class Sst2Builder
{
    public static IEnumerable<GlueFile> Build(string sentimentPackage, int seed)
    {
        var rng = Seeded.For(seed, "sst2");
        var train = new List<string[]>();
        var dev = new List<string[]>();
        var all = new List<(string Site, string Text, int Label)>();
        foreach (var site in new[] { "amazon", "imdb", "yelp" })
        {
            var path = Path.Combine(sentimentPackage, "test", "fixtures", site + ".json");
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var rows = doc.RootElement.EnumerateArray()
                .Where(e => e.GetProperty("class").ValueKind == JsonValueKind.Number) // the files end with an empty entry
                .Select(e => (Text: Spaces().Replace(e.GetProperty("text").GetString()!, " ").Trim(), Label: e.GetProperty("class").GetInt32()))
                .Where(r => r.Text.Length > 0);
            all.AddRange(rows.Select(r => (site, r.Text, r.Label)));
        }
        var unique = all.GroupBy(r => r.Text, StringComparer.Ordinal).Where(g => g.Select(r => r.Label).Distinct().Count() == 1).Select(g => g.First()).ToList();
        foreach (var site in new[] { "amazon", "imdb", "yelp" })
        {
            foreach (var label in new[] { 0, 1 })
            {
                var group = unique.Where(r => r.Site == site && r.Label == label).Shuffled(rng);
                int devCount = group.Count / 5;
                dev.AddRange(group.Take(devCount).Select(r => new[] { r.Text, r.Label.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
                train.AddRange(group.Skip(devCount).Select(r => new[] { r.Text, r.Label.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
            }
        }
        string[] header = ["sentence", "label"];
        yield return new GlueFile("SST-2/train.tsv", header, train.Shuffled(rng), 1);
        yield return new GlueFile("SST-2/dev.tsv", header, dev.Shuffled(rng), 1);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
