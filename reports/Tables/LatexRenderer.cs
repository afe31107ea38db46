using System.Text;

namespace PeftBench.Reports.Tables;

/// <summary>
/// Table → a LaTeX <c>table</c> float with booktabs rules (needs <c>\usepackage{booktabs}</c>): caption above, label
/// from the title, best per column in bold, second underlined, significance marks as superscripts, footnotes in
/// small type below the rule. Scores show <c>mean ± std</c> or <c>mean_{±ci}</c> (<see cref="Spread"/>).
/// </summary>
public static class LatexRenderer
{
    public static string Render(Table t, Spread spread = Spread.Std)
    {
        var sb = new StringBuilder();
        sb.Append("\\begin{table}[t]\n\\centering\n\\small\n");
        sb.Append("\\caption{").Append(Text(t.Caption)).Append("}\n");
        sb.Append("\\label{").Append(t.Id).Append("}\n");
        if (t.Rows.Count == 0) return sb.Append("(none)\n\\end{table}\n").ToString();
        sb.Append("\\begin{tabular}{").Append(string.Concat(t.Columns.Select(c => c.RightAligned ? 'r' : 'l'))).Append("}\n\\toprule\n");
        sb.Append(string.Join(" & ", t.Columns.Select(c => Text(c.Header)))).Append(" \\\\\n\\midrule\n");
        foreach (var row in t.Rows)
            sb.Append(string.Join(" & ", row.Select(c => Cell(c, spread)))).Append(" \\\\\n");
        sb.Append("\\bottomrule\n\\end{tabular}\n");
        if (t.Footnotes.Count > 0)
        {
            sb.Append("\\par\\smallskip\\footnotesize\n");
            for (var i = 0; i < t.Footnotes.Count; i++)
                sb.Append($"\\textsuperscript{{[{i + 1}]}}~").Append(Text(t.Footnotes[i])).Append(i + 1 < t.Footnotes.Count ? "\\\\\n" : "\n");
        }
        return sb.Append("\\end{table}\n").ToString();
    }

    static string Cell(TableCell c, Spread spread)
    {
        // Subscript spread and superscript marks share one math group: mean$_{\pm ci}^{\dagger}$.
        var marks = c.Marks.Length == 0 ? "" : "^{" + string.Concat(c.Marks.Select(m => m switch { '†' => "\\dagger", '‡' => "\\ddagger", _ => "*" })) + "}";
        string body;
        if (c.Stat is { } s)
        {
            var mean = Emphasis(c, s.Mean);
            var part = spread == Spread.Ci95 ? s.Ci95 : s.Std;
            body = part is null ? mean + InMath(marks)
                : spread == Spread.Ci95 ? mean + InMath($"_{{\\pm {part}}}{marks}")
                : $"{mean}\\,$\\pm$\\,{part}" + InMath(marks);
        }
        else body = Emphasis(c, Text(c.Text)) + InMath(marks);
        if (c.Footnote is { } f) body += $"\\textsuperscript{{[{f}]}}";
        return body;
    }

    static string InMath(string s) => s.Length == 0 ? "" : "$" + s + "$";

    static string Emphasis(TableCell c, string text) =>
        c.Best ? $"\\textbf{{{text}}}" : c.Second ? $"\\underline{{{text}}}" : text;

    /// <summary>Escapes LaTeX's special characters (and &lt; &gt;, which OT1 fonts print as ¡ ¿); `code` becomes \texttt{code}; "quotes" become ``quotes''; ±, ×, —, †, ‡ become their commands.</summary>
    public static string Text(string s)
    {
        var sb = new StringBuilder();
        var code = false;
        var quote = false;
        foreach (var ch in s)
        {
            if (ch == '`') { sb.Append(code ? "}" : "\\texttt{"); code = !code; continue; }
            if (ch == '"') { sb.Append(quote ? "''" : "``"); quote = !quote; continue; }
            sb.Append(ch switch
            {
                '\\' => "\\textbackslash{}", '&' => "\\&", '%' => "\\%", '$' => "\\$", '#' => "\\#", '_' => "\\_",
                '{' => "\\{", '}' => "\\}", '~' => "\\textasciitilde{}", '^' => "\\textasciicircum{}",
                '±' => "$\\pm$", '×' => "$\\times$", '—' => "---", '–' => "--", '†' => "$^\\dagger$", '‡' => "$^\\ddagger$",
                '≥' => "$\\geq$", '≤' => "$\\leq$", '…' => "\\dots{}", '<' => "$<$", '>' => "$>$",
                _ => ch.ToString(),
            });
        }
        if (code) sb.Append('}');
        return sb.ToString();
    }
}
