namespace PeftBench.Reports.Tables;

/// <summary>
/// The one table model every renderer draws (console, Markdown, LaTeX, CSV, HTML): already-formatted cells, which
/// are best and second best in their column, significance marks, and numbered footnotes. Builders decide content;
/// renderers only decide layout.
/// </summary>
public sealed record Table(
    string Title,
    string Caption,
    IReadOnlyList<Column> Columns,
    IReadOnlyList<IReadOnlyList<TableCell>> Rows,
    IReadOnlyList<string> Footnotes)
{
    /// <summary>A stable identifier for labels and anchors (LaTeX <c>\label</c>, HTML ids), from the title.</summary>
    public string Id => "tab:" + new string(Title.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
}

public sealed record Column(string Header, bool RightAligned);

/// <summary>
/// A formatted cell. <see cref="Footnote"/> is a 1-based index into <see cref="Table.Footnotes"/>; <see cref="Marks"/>
/// are significance marks (†, ‡) explained in the caption; <see cref="Stat"/> keeps the parts of a score so a
/// renderer can choose its own layout (LaTeX: <c>mean ± std</c> or <c>mean_{±ci}</c>).
/// </summary>
public sealed record TableCell(string Text, bool Best = false, int? Footnote = null)
{
    public bool Second { get; init; }
    public string Marks { get; init; } = "";
    public CellStat? Stat { get; init; }
    /// <summary>What a sortable renderer sorts by when the text would sort wrongly (1.83M, 36.9k); invariant number.</summary>
    public string? SortKey { get; init; }

    public string TextWithMarker => Text + Marks + (Footnote is { } f ? $" [{f}]" : "");
}

/// <summary>A score's displayed parts: mean, sample std and 95 % CI half-width (null with one seed).</summary>
public sealed record CellStat(string Mean, string? Std, string? Ci95);
