namespace PeftBench.Reports.Tables;

/// <summary>
/// The one table model every renderer draws (Markdown, console; LaTeX/HTML later): already-formatted cells, which
/// are best in their column, and numbered footnotes. Builders decide content; renderers only decide layout.
/// </summary>
public sealed record Table(
    string Title,
    string Caption,
    IReadOnlyList<Column> Columns,
    IReadOnlyList<IReadOnlyList<TableCell>> Rows,
    IReadOnlyList<string> Footnotes);

public sealed record Column(string Header, bool RightAligned);

/// <summary>A formatted cell. <see cref="Footnote"/> is a 1-based index into <see cref="Table.Footnotes"/>.</summary>
public sealed record TableCell(string Text, bool Best = false, int? Footnote = null)
{
    public string TextWithMarker => Footnote is { } f ? $"{Text} [{f}]" : Text;
}
