namespace PeftBench.Core.Catalogs;

/// <summary>
/// A registry built once and frozen (no static mutable state). Lookups of unknown ids suggest the nearest
/// registered ids, and ids may be given as globs (<c>glue/*</c>, <c>lo*</c>).
/// </summary>
public sealed class Catalog<T>
{
    private readonly IReadOnlyDictionary<string, T> entries;

    public string Kind { get; }
    public IReadOnlyList<string> Ids { get; }
    public IEnumerable<T> All => Ids.Select(id => entries[id]);

    public Catalog(string kind, IEnumerable<T> items, Func<T, string> idOf)
    {
        Kind = kind;
        var dict = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var id = idOf(item);
            if (id != id.ToLowerInvariant()) throw new ArgumentException($"{kind} id '{id}' must be lowercase.");
            if (!dict.TryAdd(id, item)) throw new ArgumentException($"{kind} id '{id}' is registered twice.");
        }
        entries = dict;
        Ids = dict.Keys.Order(StringComparer.Ordinal).ToList();
    }

    public bool Contains(string id) => entries.ContainsKey(id);

    public T Get(string id) => entries.TryGetValue(id, out var v) ? v : throw new KeyNotFoundException(UnknownMessage(id));

    /// <summary>Expands a list of ids and globs, in the order given, without duplicates. Unknown ids throw.</summary>
    public IReadOnlyList<T> Resolve(IEnumerable<string> idsOrGlobs)
    {
        var result = new List<string>();
        foreach (var raw in idsOrGlobs)
        {
            var pattern = raw.Trim().ToLowerInvariant();
            if (pattern.Length == 0) continue;
            var matches = Glob.IsGlob(pattern) ? Ids.Where(id => Glob.Matches(pattern, id)).ToList()
                : entries.ContainsKey(pattern) ? new List<string> { pattern } : new List<string>();
            if (matches.Count == 0) throw new KeyNotFoundException(UnknownMessage(pattern));
            foreach (var m in matches) if (!result.Contains(m)) result.Add(m);
        }
        return result.Select(id => entries[id]).ToList();
    }

    public string UnknownMessage(string id)
    {
        var near = NearMatches(id).ToList();
        var hint = near.Count > 0 ? $" Did you mean {string.Join(" or ", near.Select(n => $"'{n}'"))}?" : "";
        return $"unknown {Kind} '{id}'.{hint} Run 'list {Kind}s' to see all {Ids.Count}.";
    }

    /// <summary>Registered ids within a small edit distance, or sharing the part after a '/'.</summary>
    public IEnumerable<string> NearMatches(string id)
    {
        var tail = id.Contains('/') ? id[(id.LastIndexOf('/') + 1)..] : id;
        return Ids
            .Select(c => (c, d: Math.Min(TypoDistance(id, c), TypoDistance(tail, c.Contains('/') ? c[(c.LastIndexOf('/') + 1)..] : c))))
            .Where(x => x.d <= Math.Max(2, id.Length / 3))
            .OrderBy(x => x.d).ThenBy(x => x.c, StringComparer.Ordinal)
            .Take(3).Select(x => x.c);
    }

    /// <summary>
    /// Edit distance counting a swap of two adjacent characters as one edit (optimal string alignment), so the commonest
    /// typo ('lroa' for 'lora') ranks its intended id first among ids that plain Levenshtein puts at the same distance.
    /// </summary>
    public static int TypoDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i, j - 1] + 1, d[i - 1, j] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    public static int Levenshtein(string a, string b)
    {
        var prev = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var cur = new int[b.Length + 1];
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            prev = cur;
        }
        return prev[b.Length];
    }
}

public static class Glob
{
    public static bool IsGlob(string s) => s.Contains('*') || s.Contains('?');

    public static bool Matches(string pattern, string text)
    {
        var regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(text, regex);
    }
}
