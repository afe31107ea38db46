using System.Text;

namespace PeftBench.Reports.Tables;

/// <summary>Table → GitHub-flavoured Markdown: heading, caption, pipe table (best in bold, second underlined), footnotes as a list.</summary>
public static class MarkdownRenderer
{
    public static string Render(Table t, int headingLevel = 2)
    {
        var sb = new StringBuilder();
        sb.Append(new string('#', headingLevel)).Append(' ').Append(t.Title).Append('\n').Append('\n');
        if (t.Caption.Length > 0) sb.Append(t.Caption).Append('\n').Append('\n');
        if (t.Rows.Count == 0)
        {
            sb.Append("(none)\n");
            return sb.ToString();
        }
        sb.Append("| ").Append(string.Join(" | ", t.Columns.Select(c => Escape(c.Header)))).Append(" |\n");
        sb.Append('|').Append(string.Join("|", t.Columns.Select(c => c.RightAligned ? "---:" : ":---"))).Append("|\n");
        foreach (var row in t.Rows)
            sb.Append("| ").Append(string.Join(" | ", row.Select(Cell))).Append(" |\n");
        if (t.Footnotes.Count > 0)
        {
            sb.Append('\n');
            for (var i = 0; i < t.Footnotes.Count; i++) sb.Append($"- [{i + 1}] ").Append(Escape(t.Footnotes[i])).Append('\n');
        }
        return sb.ToString();
    }

    static string Cell(TableCell c)
    {
        var text = Escape(c.Text);
        if (c.Best) text = $"**{text}**";
        else if (c.Second) text = $"<ins>{text}</ins>";
        text += c.Marks;
        return c.Footnote is { } f ? $"{text} [{f}]" : text;
    }

    static string Escape(string s) => s.Replace("|", "\\|").Replace("\r", "").Replace("\n", " ");
}
