using System.Text;

namespace PeftBench.Reports.Tables;

/// <summary>Table → plain aligned text for a terminal: best marked with *, footnotes below, no caption.</summary>
public static class ConsoleRenderer
{
    public static string Render(Table t)
    {
        var cells = t.Rows.Select(r => r.Select(c => c.TextWithMarker + (c.Best ? " *" : "")).ToList()).ToList();
        var widths = t.Columns.Select((c, i) => Math.Max(c.Header.Length, cells.Count == 0 ? 0 : cells.Max(r => r[i].Length))).ToList();
        var sb = new StringBuilder();
        sb.Append(t.Title).Append('\n');
        if (t.Rows.Count == 0) return sb.Append("(none)\n").ToString();
        sb.Append(Line(t.Columns.Select(c => c.Header).ToList(), t, widths)).Append('\n');
        sb.Append(string.Join("  ", widths.Select(w => new string('-', w)))).Append('\n');
        foreach (var r in cells) sb.Append(Line(r, t, widths)).Append('\n');
        for (var i = 0; i < t.Footnotes.Count; i++) sb.Append($"[{i + 1}] {t.Footnotes[i]}\n");
        return sb.ToString();
    }

    static string Line(List<string> texts, Table t, List<int> widths) =>
        string.Join("  ", texts.Select((x, i) => t.Columns[i].RightAligned ? x.PadLeft(widths[i]) : x.PadRight(widths[i]))).TrimEnd();
}
