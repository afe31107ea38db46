using System.Globalization;
using PeftBench.Reports.Tables;

namespace PeftBench.Reports.Html;

/// <summary>What a run's result files say about how it was made (pure): each field with its distinct values.</summary>
public static class RunProvenance
{
    public static IReadOnlyList<(string Name, string Value)> Of(IReadOnlyList<CellResult> cells)
    {
        var p = cells.Select(c => c.Provenance).OfType<Provenance>().ToList();
        string Distinct(IEnumerable<string?> xs)
        {
            var values = xs.Where(x => !string.IsNullOrWhiteSpace(x)).Select(x => x!).Distinct().Order(StringComparer.Ordinal).ToList();
            return values.Count == 0 ? "—" : string.Join("; ", values);
        }
        var commits = p.Select(x => x.GitCommit is null ? null : x.GitCommit + (x.GitDirty == true ? " (dirty tree)" : "")).ToList();
        var started = p.Select(x => x.StartedUtc).Where(x => x.Length > 0).Order(StringComparer.Ordinal).ToList();
        var packages = p.SelectMany(x => x.Packages).Select(kv => $"{kv.Key} {kv.Value}");
        return
        [
            ("Cells", $"{cells.Count} ({cells.Count(c => c.IsOk)} ok)"),
            ("Git commit", Distinct(commits)),
            ("PeftBench version", Distinct(p.Select(x => x.PeftbenchVersion))),
            ("Profiles", Distinct(cells.Select(c => c.Cell.Profile))),
            ("Seeds", Distinct(cells.Select(c => c.Cell.Seed.ToString(CultureInfo.InvariantCulture)))),
            ("Devices", Distinct(cells.Select(c => c.Cell.Device))),
            ("Threads", Distinct(cells.Select(c => c.Cell.Threads.ToString(CultureInfo.InvariantCulture)))),
            ("Machine", Distinct(p.Select(x => x.Hostname))),
            ("OS", Distinct(p.Select(x => x.Os))),
            ("CPU", Distinct(p.Select(x => x.Cpu))),
            ("GPU", Distinct(p.Select(x => x.Gpu))),
            (".NET", Distinct(p.Select(x => x.Dotnet))),
            ("Packages", Distinct(packages)),
            ("Backbones", Distinct(cells.Select(c => c.Cell.ModelSha256 is { } sha ? $"{c.Cell.Model} (sha256 {sha[..Math.Min(12, sha.Length)]}…)" : c.Cell.Model))),
            ("Started (UTC)", started.Count == 0 ? "—" : started.Count == 1 ? started[0] : $"{started[0]} … {started[^1]}"),
        ];
    }

    /// <summary>The same as a two-column table for any renderer.</summary>
    public static Table AsTable(IReadOnlyList<CellResult> cells) =>
        new("Provenance", "As recorded in the result files; several values mean the cells differ.",
            [new Column("Field", false), new Column("Value", false)],
            Of(cells).Select(x => (IReadOnlyList<TableCell>)[new TableCell(x.Name), new TableCell(x.Value)]).ToList(), []);
}
