namespace PeftBench.Tasks.Glue;

/// <summary>
/// How one GLUE task's official TSV files are laid out: the task folder's official name, the files per split,
/// whether files start with a header, which columns hold the texts and the label, and how label strings map to
/// ids (Hugging Face GLUE ids). Headered files are read by column name, never by position, because MNLI's train
/// and dev files have different column counts (label1 vs label1..label5).
/// </summary>
public sealed record GlueFormat(
    string Folder,
    IReadOnlyDictionary<string, string> Files,
    IReadOnlyList<string>? FixedColumns,
    string TextAColumn,
    string? TextBColumn,
    string LabelColumn,
    IReadOnlyList<string> LabelValues,
    bool IsRegression)
{
    /// <summary>The split every task trains on; its file is always train.tsv.</summary>
    public const string TrainSplit = "train";

    /// <summary>True for CoLA: no header line, columns known by position.</summary>
    public bool HasHeader => FixedColumns is null;

    /// <summary>A headered task with train.tsv and dev.tsv; labels are the strings whose index is the id.</summary>
    public static GlueFormat Headered(string folder, string textA, string? textB, string label, params string[] labelValues) =>
        new(folder, new Dictionary<string, string> { [TrainSplit] = "train.tsv", ["dev"] = "dev.tsv" },
            null, textA, textB, label, labelValues, IsRegression: false);

    /// <summary>The required columns, in the order an error message lists them.</summary>
    public IEnumerable<string> RequiredColumns =>
        TextBColumn is null ? new[] { TextAColumn, LabelColumn } : new[] { TextAColumn, TextBColumn, LabelColumn };
}
