using PeftBench.Core.Tasks;
using PeftBench.Tasks.Metrics;

namespace PeftBench.Tasks.Glue.Tasks;

/// <summary>
/// MNLI (Williams et al., 2018): does the premise entail, contradict or say nothing about the hypothesis?
/// Two dev sets: matched (same genres as train) and mismatched (other genres). Read by header name because
/// train has one annotator label column and dev five; the label is <c>gold_label</c>.
/// </summary>
public static class Mnli
{
    public static GlueFormat Format() => new("MNLI",
        new Dictionary<string, string>
        {
            [GlueFormat.TrainSplit] = "train.tsv", ["dev_matched"] = "dev_matched.tsv", ["dev_mismatched"] = "dev_mismatched.tsv",
        },
        FixedColumns: null, TextAColumn: "sentence1", TextBColumn: "sentence2", LabelColumn: "gold_label",
        LabelValues: ["entailment", "neutral", "contradiction"], IsRegression: false);

    public static TaskSpec Create() => new("glue/mnli", 1, "MNLI: three-way entailment, matched and mismatched genres (accuracy).",
        GlueSuite.Tags, Modality.Text, HeadSpec.Classification("entailment", "neutral", "contradiction"),
        [new MetricSpec("accuracy_m", true, "dev_matched", GlueMetrics.Accuracy), new MetricSpec("accuracy_mm", true, "dev_mismatched", GlueMetrics.Accuracy)],
        new GlueDataSource(Format()));
}
