using System.Net;
using System.Text;
using PeftBench.Reports.Tables;

namespace PeftBench.Reports.Html;

/// <summary>
/// Table → an HTML <c>table</c>: caption, best in bold, second underlined, marks as superscripts, footnotes as a list.
/// A sortable table carries <c>data-v</c> (the mean of a score, else the text) on every cell for the page's script.
/// </summary>
public static class HtmlTableRenderer
{
    public static string Render(Table t, bool sortable = false)
    {
        var sb = new StringBuilder();
        var id = Id(t);
        sb.Append($"<section class=\"table\" id=\"{id}\">\n<h3>{E(t.Title)}</h3>\n");
        if (t.Rows.Count == 0) return sb.Append("<p>(none)</p>\n</section>\n").ToString();
        sb.Append($"<table class=\"{(sortable ? "results sortable" : "results")}\">\n");
        if (t.Caption.Length > 0) sb.Append("<caption>").Append(Inline(t.Caption)).Append("</caption>\n");
        sb.Append("<thead><tr>");
        foreach (var c in t.Columns)
            sb.Append($"<th class=\"{(c.RightAligned ? "num" : "txt")}\"{(sortable ? " title=\"Click to sort\"" : "")}>{E(c.Header)}</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in t.Rows)
        {
            sb.Append("<tr>");
            for (var i = 0; i < row.Count; i++)
            {
                var c = row[i];
                var text = E(c.Text);
                if (c.Best) text = $"<strong>{text}</strong>";
                else if (c.Second) text = $"<u>{text}</u>";
                if (c.Marks.Length > 0) text += $"<sup class=\"mark\">{E(c.Marks)}</sup>";
                if (c.Footnote is { } f) text += $"<sup class=\"note\"><a href=\"#{id}-n{f}\">[{f}]</a></sup>";
                var sortKey = sortable ? $" data-v=\"{E(c.SortKey ?? c.Stat?.Mean ?? c.Text)}\"" : "";
                sb.Append($"<td class=\"{(t.Columns[i].RightAligned ? "num" : "txt")}\"{sortKey}>{text}</td>");
            }
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n");
        if (t.Footnotes.Count > 0)
        {
            sb.Append("<ol class=\"notes\">\n");
            for (var i = 0; i < t.Footnotes.Count; i++) sb.Append($"<li id=\"{id}-n{i + 1}\">{Inline(t.Footnotes[i])}</li>\n");
            sb.Append("</ol>\n");
        }
        return sb.Append("</section>\n").ToString();
    }

    public static string Id(Table t) => t.Id.Replace(':', '-');

    public static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>Escaped text with `code` spans as &lt;code&gt;.</summary>
    public static string Inline(string s)
    {
        var parts = s.Split('`');
        var sb = new StringBuilder();
        for (var i = 0; i < parts.Length; i++) sb.Append(i % 2 == 1 ? $"<code>{E(parts[i])}</code>" : E(parts[i]));
        return sb.ToString();
    }
}
