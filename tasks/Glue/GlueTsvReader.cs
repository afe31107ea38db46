using System.Globalization;
using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Glue;

/// <summary>
/// Reads one official GLUE TSV file. Fields are split on tabs only, with no quote handling (Python's
/// QUOTE_NONE, as the GLUE loaders do): quotes are literal text, and a CSV reader would silently merge rows at
/// an unbalanced quote. Every problem names the file, the line and how to fix it.
/// </summary>
public static class GlueTsvReader
{
    public static List<TextExample> Read(string path, GlueFormat format)
    {
        var examples = new List<TextExample>();
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8);
        int lineNumber = 0;
        IReadOnlyList<string>? columns = format.FixedColumns;
        (int A, int B, int Label) at = default;
        if (columns is not null) at = Resolve(path, 0, columns, format);
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Length == 0) continue; // a trailing blank line is harmless
            var fields = line.Split('\t');
            if (columns is null)
            {
                columns = fields;
                at = Resolve(path, lineNumber, columns, format);
                continue;
            }
            if (fields.Length != columns.Count)
                throw new FormatException(
                    $"{path}:{lineNumber}: expected {columns.Count} tab-separated columns ({string.Join(", ", columns)}), found {fields.Length}. " +
                    "GLUE files are tab-separated without quoting; restore the original file if it was re-saved by a spreadsheet or CSV tool, or remove the broken line.");
            var label = ParseLabel(path, lineNumber, columns[at.Label], fields[at.Label], format);
            examples.Add(new TextExample(fields[at.A], at.B >= 0 ? fields[at.B] : null, label));
        }
        if (columns is null)
            throw new FormatException($"{path}: the file is empty; expected a header line with columns {string.Join(", ", format.RequiredColumns)}. Restore the file from the GLUE download.");
        return examples;
    }

    /// <summary>Reads only the first line and reports a header without the required columns (for Check).</summary>
    public static string? CheckHeader(string path, GlueFormat format)
    {
        if (!format.HasHeader) return null;
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8);
        var first = reader.ReadLine();
        if (first is null) return $"{path}: the file is empty; restore it from the GLUE download.";
        var missing = format.RequiredColumns.Where(c => !first.Split('\t').Contains(c, StringComparer.Ordinal)).ToList();
        return missing.Count == 0 ? null : HeaderMessage(path, 1, missing, first.Split('\t'));
    }

    private static (int, int, int) Resolve(string path, int lineNumber, IReadOnlyList<string> columns, GlueFormat format)
    {
        var missing = format.RequiredColumns.Where(c => !columns.Contains(c, StringComparer.Ordinal)).ToList();
        if (missing.Count > 0) throw new FormatException(HeaderMessage(path, lineNumber, missing, columns));
        int Index(string name) => columns.ToList().IndexOf(name);
        return (Index(format.TextAColumn), format.TextBColumn is null ? -1 : Index(format.TextBColumn), Index(format.LabelColumn));
    }

    private static string HeaderMessage(string path, int lineNumber, IReadOnlyList<string> missing, IReadOnlyList<string> found) =>
        $"{path}:{lineNumber}: the header lacks column(s) {string.Join(", ", missing.Select(m => $"'{m}'"))} (found: {string.Join(", ", found.Select(f => $"'{f}'"))}). " +
        $"Is this the right task folder ({Path.GetFileName(Path.GetDirectoryName(path))})? Use the official GLUE file, whose first line names the columns.";

    private static float ParseLabel(string path, int lineNumber, string column, string raw, GlueFormat format)
    {
        if (format.IsRegression)
        {
            if (float.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var score) && float.IsFinite(score)) return score;
            throw new FormatException($"{path}:{lineNumber}: column '{column}' holds '{raw}', not a number. Scores are decimal numbers with a '.' (e.g. 3.8); fix or remove the line.");
        }
        for (int id = 0; id < format.LabelValues.Count; id++)
            if (string.Equals(raw, format.LabelValues[id], StringComparison.Ordinal)) return id;
        throw new FormatException(
            $"{path}:{lineNumber}: column '{column}' holds '{raw}', which is not a label of this task (expected one of {string.Join(", ", format.LabelValues.Select(v => $"'{v}'"))}). " +
            "Check that the file belongs to this task and that the columns are not shifted; fix or remove the line.");
    }
}
