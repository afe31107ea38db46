using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using PeftBench.Reports.Tables;

namespace PeftBench.Reports.Merging;

/// <summary>
/// One result of the merge step (<c>merge RUN</c>): an operation applied to one finished cell's update (<c>compress</c>)
/// or to several tasks' updates of the same model, method, config and seed (<c>merge</c>), scored on the task's
/// evaluation splits exactly as the cell was. Sizes are of the method's update alone; the task head is stored apart
/// (<see cref="HeadBytes"/>) and never compressed or merged.
/// </summary>
public sealed record MergeRow
{
    /// <summary><c>compeft</c>, <c>breadcrumbs</c> or <c>task-arithmetic</c>.</summary>
    public required string Op { get; init; }
    /// <summary><c>compress</c> (one cell's update) or <c>merge</c> (the sum over <see cref="MergedTasks"/>).</summary>
    public required string Mode { get; init; }
    /// <summary><c>parameters</c> (the method's own tensors, τ = θ − θ_init) or <c>weights</c> (ΔW of the backbone's tensors).</summary>
    public required string Space { get; init; }
    public required string Task { get; init; }
    public required string Model { get; init; }
    public required string Method { get; init; }
    public long Seed { get; init; }
    public string? Budget { get; init; }
    /// <summary>The evaluated task's cell.</summary>
    public required string CellKey { get; init; }
    /// <summary>Tasks whose updates were added (merge rows); empty for compress rows.</summary>
    public List<string> MergedTasks { get; init; } = new();
    /// <summary>Fraction of the update kept (1 = uncompressed); null for task arithmetic.</summary>
    public double? Density { get; init; }
    /// <summary><c>alpha</c> (ComPEFT's ternary scale) or <c>lambda</c> (the task-vector scale).</summary>
    public required string ScaleName { get; init; }
    /// <summary>The scale chosen on the selection rows (1 where density is 1: no compression, no search).</summary>
    public double Scale { get; init; }
    /// <summary>The primary metric on the selection rows at the chosen scale (mean over tasks for a merge); null when nothing was searched.</summary>
    public double? SelectionScore { get; init; }
    public Dictionary<string, double> Metrics { get; init; } = new();
    public double? Score { get; init; }
    /// <summary>The cell's own task score (from its result file).</summary>
    public double? OriginalScore { get; init; }
    /// <summary>Bytes to store the update after the operation (see the formula in the README and SparseUpdate).</summary>
    public long StoredBytes { get; init; }
    /// <summary>Bytes of the update as trained, fp32 dense (for a merge: the merged tasks' updates together).</summary>
    public long OriginalBytes { get; init; }
    public long HeadBytes { get; init; }
    /// <summary>Nonzero entries stored and entries of the update.</summary>
    public long StoredValues { get; init; }
    public long UpdateElements { get; init; }
}

/// <summary>A finished cell the step did not use, and why.</summary>
public sealed record SkippedCell(string Key, string Task, string Method, string Reason);

/// <summary>The whole merge step's output (<c>merging.json</c>): its settings, every row, every skipped cell.</summary>
public sealed record MergeReport
{
    public int Schema { get; init; } = 1;
    public required string Run { get; init; }
    public required JsonObject Settings { get; init; }
    /// <summary>Per cell key: its task score recomputed from the reloaded adapter (equals the stored score when the reload is exact).</summary>
    public Dictionary<string, double?> ReloadedScores { get; init; } = new();
    public List<MergeRow> Rows { get; init; } = new();
    public List<SkippedCell> Skipped { get; init; } = new();

    public string ToJson() => JsonSerializer.Serialize(this, ResultJson.Options);

    public static MergeReport FromJson(string json) => JsonSerializer.Deserialize<MergeReport>(json, ResultJson.Options)
        ?? throw new InvalidDataException("empty merge report.");
}

/// <summary>One row of merging.csv.</summary>
[CsvRecord]
public partial class MergeCsvRow
{
    [CsvColumn("op")] public string Op { get; set; } = "";
    [CsvColumn("mode")] public string Mode { get; set; } = "";
    [CsvColumn("space")] public string Space { get; set; } = "";
    [CsvColumn("task")] public string Task { get; set; } = "";
    [CsvColumn("model")] public string Model { get; set; } = "";
    [CsvColumn("method")] public string Method { get; set; } = "";
    [CsvColumn("seed")] public long Seed { get; set; }
    [CsvColumn("budget")] public string? Budget { get; set; }
    [CsvColumn("cell_key")] public string CellKey { get; set; } = "";
    [CsvColumn("merged_tasks")] public string MergedTasks { get; set; } = "";
    [CsvColumn("density")] public double? Density { get; set; }
    [CsvColumn("scale_name")] public string ScaleName { get; set; } = "";
    [CsvColumn("scale")] public double Scale { get; set; }
    [CsvColumn("selection_score")] public double? SelectionScore { get; set; }
    [CsvColumn("score")] public double? Score { get; set; }
    [CsvColumn("original_score")] public double? OriginalScore { get; set; }
    [CsvColumn("stored_bytes")] public long StoredBytes { get; set; }
    [CsvColumn("original_bytes")] public long OriginalBytes { get; set; }
    [CsvColumn("head_bytes")] public long HeadBytes { get; set; }
    [CsvColumn("stored_values")] public long StoredValues { get; set; }
    [CsvColumn("update_elements")] public long UpdateElements { get; set; }

    public static MergeCsvRow From(MergeRow r) => new()
    {
        Op = r.Op, Mode = r.Mode, Space = r.Space, Task = r.Task, Model = r.Model, Method = r.Method, Seed = r.Seed, Budget = r.Budget,
        CellKey = r.CellKey, MergedTasks = string.Join(' ', r.MergedTasks), Density = r.Density, ScaleName = r.ScaleName, Scale = r.Scale,
        SelectionScore = r.SelectionScore, Score = r.Score, OriginalScore = r.OriginalScore, StoredBytes = r.StoredBytes,
        OriginalBytes = r.OriginalBytes, HeadBytes = r.HeadBytes, StoredValues = r.StoredValues, UpdateElements = r.UpdateElements,
    };
}

/// <summary>The merge step's files: merging.json, merging.csv and merging.md, each written atomically; and its console table.</summary>
public static class MergeOutputs
{
    public const string JsonFile = "merging.json";
    public const string CsvFile = "merging.csv";
    public const string MarkdownFile = "merging.md";

    public static IReadOnlyList<string> Write(MergeReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        var json = Path.Combine(directory, JsonFile);
        var csv = Path.Combine(directory, CsvFile);
        var md = Path.Combine(directory, MarkdownFile);
        AtomicFile.WriteAllText(json, report.ToJson() + "\n");
        AtomicFile.Write(csv, tmp =>
        {
            using var w = CsvWriter.ToFile(tmp, null);
            w.WriteRecords(report.Rows.Select(MergeCsvRow.From));
        });
        AtomicFile.WriteAllText(md, Markdown(report));
        return [json, csv, md];
    }

    public static string Markdown(MergeReport report)
    {
        var text = MarkdownRenderer.Render(Table(report));
        if (report.Skipped.Count > 0)
        {
            text += "\nCells not used:\n\n";
            foreach (var s in report.Skipped) text += $"- {s.Task} · {s.Method} ({s.Key}): {s.Reason}\n";
        }
        return text;
    }

    public static string Console(MergeReport report) => ConsoleRenderer.Render(Table(report));

    /// <summary>One row per result: op, task, method, density or λ, score against the cell's own, stored bytes against the original's.</summary>
    public static Table Table(MergeReport report)
    {
        var columns = new[]
        {
            new Column("op", false), new Column("task", false), new Column("method", false), new Column("seed", true),
            new Column("density", true), new Column("scale", true), new Column("score", true), new Column("original", true),
            new Column("Δ", true), new Column("stored bytes", true), new Column("original bytes", true), new Column("ratio", true),
        };
        var rows = report.Rows.Select(r => (IReadOnlyList<TableCell>)new[]
        {
            new TableCell(r.Mode == "merge" ? $"{r.Op} (merge of {r.MergedTasks.Count})" : r.Op),
            new TableCell(r.Task), new TableCell(r.Method), new TableCell(r.Seed.ToString(CultureInfo.InvariantCulture)),
            new TableCell(r.Density is { } d ? Number(d) : "—"),
            new TableCell($"{(r.ScaleName == "alpha" ? "α" : "λ")}={Number(r.Scale)}"),
            new TableCell(Score(r.Score)), new TableCell(Score(r.OriginalScore)),
            new TableCell(r.Score is { } s && r.OriginalScore is { } o ? (s - o).ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture) : "—"),
            new TableCell(r.StoredBytes.ToString("N0", CultureInfo.InvariantCulture)),
            new TableCell(r.OriginalBytes.ToString("N0", CultureInfo.InvariantCulture)),
            new TableCell(r.OriginalBytes > 0 ? ((double)r.StoredBytes / r.OriginalBytes).ToString("0.000", CultureInfo.InvariantCulture) : "—"),
        }).ToList();
        var caption = $"Post-hoc operations on the trained updates of {report.Run}. Scores are the task score on the cells' " +
            "evaluation splits; the scale (α, λ) was chosen on selection rows drawn from the training split. Bytes are the method's " +
            "update alone (the head is stored apart): original = fp32 dense; stored = Golomb-coded positions plus signs (ComPEFT) or fp32 values.";
        return new Table("Merging and compression", caption, columns, rows, []);
    }

    static string Number(double x) => x.ToString("0.###", CultureInfo.InvariantCulture);

    static string Score(double? x) => x is { } v ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "—";
}
