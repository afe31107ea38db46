using System.Text;
using System.Text.Json;

namespace PeftBench.Reports.Comparison;

/// <summary>
/// Reads and writes baseline files. Written as indented JSON with one cell per line, sorted by key; read with
/// every problem named (file, what is wrong, how to regenerate), never a bare parser exception.
/// </summary>
public static class BaselineJson
{
    static readonly JsonSerializerOptions Compact = new(ResultJson.Options) { WriteIndented = false };

    public static string Serialize(BaselineFile file)
    {
        var header = new BaselineFile
        {
            Schema = file.Schema, Suite = file.Suite, Provenance = file.Provenance, Tolerances = file.Tolerances, Cells = new(),
        };
        var sb = new StringBuilder();
        sb.Append("{\n");
        sb.Append("  \"schema\": ").Append(header.Schema).Append(",\n");
        sb.Append("  \"suite\": ").Append(JsonSerializer.Serialize(header.Suite, Compact)).Append(",\n");
        sb.Append("  \"provenance\": ").Append(JsonSerializer.Serialize(header.Provenance, Compact)).Append(",\n");
        sb.Append("  \"tolerances\": ").Append(JsonSerializer.Serialize(header.Tolerances, Compact)).Append(",\n");
        sb.Append("  \"cells\": [\n");
        var cells = file.Cells.OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
        for (var i = 0; i < cells.Count; i++)
            sb.Append("    ").Append(JsonSerializer.Serialize(cells[i], Compact)).Append(i + 1 < cells.Count ? ",\n" : "\n");
        sb.Append("  ]\n}\n");
        return sb.ToString();
    }

    /// <summary>A baseline file, or a results folder (<c>RUN</c> or <c>RUN/cells</c>) read as one.</summary>
    public static BaselineFile Load(string fileOrDirectory, Tolerances defaults)
    {
        if (Directory.Exists(fileOrDirectory))
            return FromResults(ResultJson.ReadFolder(fileOrDirectory), null, defaults, null);
        if (!File.Exists(fileOrDirectory))
            throw new FileNotFoundException($"baseline '{fileOrDirectory}' does not exist. Write one with 'baseline RESULTS_DIR --out {fileOrDirectory}'.");
        return Parse(File.ReadAllText(fileOrDirectory), fileOrDirectory);
    }

    public static BaselineFile Parse(string json, string source)
    {
        BaselineFile? file;
        try { file = JsonSerializer.Deserialize<BaselineFile>(json, ResultJson.Options); }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" (line {line + 1})" : "";
            throw new InvalidDataException($"baseline '{source}' is not a valid baseline file{where}: {e.Message.Split('.')[0]}. Regenerate it with 'make baseline'.");
        }
        if (file is null) throw new InvalidDataException($"baseline '{source}' is empty (null). Regenerate it with 'make baseline'.");
        var problems = Validate(file).ToList();
        if (problems.Count > 0)
            throw new InvalidDataException($"baseline '{source}' is malformed: {string.Join("; ", problems)}. Regenerate it with 'make baseline'.");
        return file;
    }

    static IEnumerable<string> Validate(BaselineFile f)
    {
        if (f.Schema != BaselineFile.CurrentSchema) yield return $"schema {f.Schema} is not supported (this version reads schema {BaselineFile.CurrentSchema})";
        if (f.Cells is null) { yield return "it has no \"cells\" list"; yield break; }
        if (f.Tolerances is null) yield return "it has no \"tolerances\"";
        else if (f.Tolerances.MetricFloor < 0 || f.Tolerances.MetricStdFactor < 0 || f.Tolerances.MaxMemoryRatio <= 0 || f.Tolerances.MinThroughputRatio < 0)
            yield return "tolerances must be non-negative (ratios positive)";
        for (var i = 0; i < f.Cells.Count; i++)
        {
            var c = f.Cells[i];
            if (c is null) { yield return $"cell {i} is null"; continue; }
            if (string.IsNullOrWhiteSpace(c.Key)) yield return $"cell {i} has no key";
            if (c.Status is not (CellStatus.Ok or CellStatus.Failed or CellStatus.Diverged or CellStatus.NotApplicable)) yield return $"cell {i} ({c.Key}) has unknown status '{c.Status}'";
            if (c.Metrics.Values.Any(v => !double.IsFinite(v))) yield return $"cell {i} ({c.Key}) has a non-finite metric";
        }
        foreach (var dup in f.Cells.Where(c => c is not null).GroupBy(c => c.Key).Where(g => g.Count() > 1))
            yield return $"key {dup.Key} appears {dup.Count()} times";
    }

    /// <summary>A baseline from a run's results, with provenance gathered from the cells.</summary>
    public static BaselineFile FromResults(IReadOnlyList<CellResult> results, string? suite, Tolerances tolerances, string? command)
    {
        var prov = results.Select(r => r.Provenance).OfType<Provenance>().ToList();
        return new BaselineFile
        {
            Suite = suite,
            Provenance = new BaselineProvenance
            {
                Commits = prov.Select(p => p.GitCommit).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList(),
                Dirty = prov.Any(p => p.GitDirty == true),
                Threads = results.Select(r => r.Cell.Threads).Distinct().Order().ToList(),
                Cpus = prov.Select(p => p.Cpu).Where(c => c.Length > 0).Distinct().Order(StringComparer.Ordinal).ToList(),
                Devices = results.Select(r => r.Cell.Device).Distinct().Order(StringComparer.Ordinal).ToList(),
                Profiles = results.Select(r => r.Cell.Profile).Distinct().Order(StringComparer.Ordinal).ToList(),
                Command = command,
            },
            Tolerances = tolerances,
            Cells = results.Select(BaselineCell.From).OrderBy(c => c.Key, StringComparer.Ordinal).ToList(),
        };
    }
}
