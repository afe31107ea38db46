using System.Security.Cryptography;
using System.Text;

namespace PeftBench.Tasks.Builders;

/// <summary>
/// One TSV file the builder writes, in the official GLUE layout: an optional header and rows of fields, plus
/// which column holds the label (for the manifest's label distribution). Fields must not contain tabs or line
/// breaks, because GLUE files have no quoting to protect them.
/// </summary>
public sealed record GlueFile(string RelativePath, IReadOnlyList<string>? Header, IReadOnlyList<string[]> Rows, int LabelColumn)
{
    public string Render()
    {
        var sb = new StringBuilder();
        if (Header is not null) sb.Append(string.Join('\t', Header)).Append('\n');
        foreach (var row in Rows)
        {
            foreach (var field in row)
                if (field.Contains('\t') || field.Contains('\n') || field.Contains('\r'))
                    throw new InvalidOperationException($"{RelativePath}: field '{field}' contains a tab or line break.");
            if (Header is not null && row.Length != Header.Count)
                throw new InvalidOperationException($"{RelativePath}: a row has {row.Length} fields for {Header.Count} columns.");
            sb.Append(string.Join('\t', row)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Label → count; regression scores are bucketed by their integer part ("3" = [3, 4)).</summary>
    public SortedDictionary<string, int> LabelDistribution(bool regression)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in Rows)
        {
            var label = row[LabelColumn];
            if (regression) label = ((int)Math.Min(4, Math.Floor(double.Parse(label, System.Globalization.CultureInfo.InvariantCulture)))).ToString(System.Globalization.CultureInfo.InvariantCulture);
            counts[label] = counts.GetValueOrDefault(label) + 1;
        }
        return counts;
    }

    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Writes atomically (temp file, then move) so a crashed build never leaves half a file.</summary>
    public static void WriteAtomic(string path, string contents)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(tmp, contents, new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
    }
}
