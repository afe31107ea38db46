namespace PeftBench.Reports.Tables;

/// <summary>Numbered footnotes, one number per distinct text, in order of first use.</summary>
internal sealed class Footnotes
{
    readonly List<string> _texts = [];

    public IReadOnlyList<string> Texts => _texts;

    public int Add(string text)
    {
        var i = _texts.IndexOf(text);
        if (i >= 0) return i + 1;
        _texts.Add(text);
        return _texts.Count;
    }
}
