using PeftBench.Core.Tasks;
using PeftBench.Tasks.Metrics;

namespace PeftBench.Tasks.Glue.Tasks;

/// <summary>QNLI (from SQuAD): does the sentence answer the question? Header <c>index, question, sentence, label</c>.</summary>
public static class Qnli
{
    public static GlueFormat Format() => GlueFormat.Headered("QNLI", "question", "sentence", "label", "entailment", "not_entailment");

    public static TaskSpec Create() => new("glue/qnli", 1, "QNLI: does the sentence contain the answer to the question (accuracy).",
        GlueSuite.Tags, Modality.Text, HeadSpec.Classification("entailment", "not_entailment"),
        [new MetricSpec("accuracy", true, "dev", GlueMetrics.Accuracy)],
        new GlueDataSource(Format()));
}
