namespace PeftBench.Tasks.Builders;

/// <summary>
/// A real sentence and the spans of its words. Edits splice the original string, so spacing and punctuation
/// of the source text survive every transformation (no re-tokenisation artefacts that would mark edited
/// sentences as such).
/// </summary>
public sealed class Sentence
{
    public string Text { get; }
    public IReadOnlyList<(int Start, int Length)> Spans { get; }

    public Sentence(string text)
    {
        Text = text;
        Spans = WordNet.WordPattern().Matches(text).Select(m => (m.Index, m.Length)).ToList();
    }

    public int Count => Spans.Count;

    public string Word(int i) => Text.Substring(Spans[i].Start, Spans[i].Length);

    public string Lower(int i) => Word(i).ToLowerInvariant();

    /// <summary>Replaces word i, keeping a leading capital.</summary>
    public string Replace(int i, string with) => ReplaceMany([(i, with)]);

    /// <summary>
    /// Replaces several words at once (indices distinct), keeping leading capitals and fixing an "a"/"an" right
    /// before an edited word ("an old idea" → "a young idea"): a wrong article only in edited sentences would
    /// give their label away.
    /// </summary>
    public string ReplaceMany(IEnumerable<(int Index, string With)> edits)
    {
        var text = Text;
        foreach (var (i, with) in edits.OrderByDescending(e => e.Index))
        {
            text = text[..Spans[i].Start] + MatchCase(Word(i), with) + text[(Spans[i].Start + Spans[i].Length)..];
            if (i > 0 && Lower(i - 1) is "a" or "an" && Spans[i - 1].Start + Spans[i - 1].Length + 1 == Spans[i].Start)
                text = text[..Spans[i - 1].Start] + MatchCase(Word(i - 1), Article(with)) + text[(Spans[i - 1].Start + Spans[i - 1].Length)..];
        }
        return text;
    }

    /// <summary>"an" before a vowel letter, else "a" (spelling rule; "an hour" style exceptions are rare here).</summary>
    public static string Article(string nextWord) => nextWord.Length > 0 && "aeiouAEIOU".Contains(nextWord[0]) ? "an" : "a";

    /// <summary>Inserts a word before word i (lowercase unless it becomes the first word).</summary>
    public string InsertBefore(int i, string word) => i == 0
        ? Splice(0, Spans[0].Length, Capitalize(word) + " " + Word(0).ToLowerInvariant() )
        : Splice(Spans[i].Start, 0, word + " ");

    /// <summary>Removes word i and the space after it; a removed first word passes its capital on.</summary>
    public string Delete(int i)
    {
        var end = Spans[i].Start + Spans[i].Length;
        if (end < Text.Length && Text[end] == ' ') end++;
        if (i > 0 && i + 1 < Count && Lower(i - 1) is "a" or "an" && Spans[i - 1].Start + Spans[i - 1].Length + 1 == Spans[i].Start)
            return Text[..Spans[i - 1].Start] + MatchCase(Word(i - 1), Article(Word(i + 1))) + " " + Text[Spans[i + 1].Start..];
        var text = Text[..Spans[i].Start] + Text[end..];
        return i == 0 && text.Length > 0 ? Capitalize(text) : text;
    }

    /// <summary>Swaps words i and i+1 verbatim (callers avoid i = 0 so that no capital moves inside).</summary>
    public string Swap(int i)
    {
        var (a, b) = (Spans[i], Spans[i + 1]);
        var between = Text.Substring(a.Start + a.Length, b.Start - a.Start - a.Length);
        return Text[..a.Start] + Word(i + 1) + between + Word(i) + Text[(b.Start + b.Length)..];
    }

    private string Splice(int start, int length, string with) => Text[..start] + with + Text[(start + length)..];

    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private static string MatchCase(string original, string with) =>
        original.Length > 0 && char.IsUpper(original[0]) && (original.Length == 1 || !char.IsUpper(original[1])) ? Capitalize(with) : with;
}
