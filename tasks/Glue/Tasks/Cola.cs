using PeftBench.Core.Tasks;
using PeftBench.Tasks.Metrics;

namespace PeftBench.Tasks.Glue.Tasks;

/// <summary>
/// CoLA (Warstadt et al., 2019): is the sentence grammatical? Official files have no header; columns are
/// source, label (0 unacceptable, 1 acceptable), original mark, sentence. Scored by Matthews correlation
/// because the classes are unbalanced (~70 % acceptable).
/// </summary>
public static class Cola
{
    public static GlueFormat Format() => new("CoLA",
        new Dictionary<string, string> { [GlueFormat.TrainSplit] = "train.tsv", ["dev"] = "dev.tsv" },
        FixedColumns: ["source", "label", "original_mark", "sentence"],
        TextAColumn: "sentence", TextBColumn: null, LabelColumn: "label", LabelValues: ["0", "1"], IsRegression: false);

    public static TaskSpec Create() => new("glue/cola", 1, "CoLA: grammatical acceptability of one sentence (Matthews correlation).",
        GlueSuite.Tags, Modality.Text, HeadSpec.Classification("unacceptable", "acceptable"),
        [new MetricSpec("mcc", true, "dev", GlueMetrics.Matthews)],
        new GlueDataSource(Format()));
}
