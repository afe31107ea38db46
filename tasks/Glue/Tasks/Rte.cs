using PeftBench.Core.Tasks;
using PeftBench.Tasks.Metrics;

namespace PeftBench.Tasks.Glue.Tasks;

/// <summary>RTE (Dagan et al., 2006 and later challenges): binary entailment. Header <c>index, sentence1, sentence2, label</c>.</summary>
public static class Rte
{
    public static GlueFormat Format() => GlueFormat.Headered("RTE", "sentence1", "sentence2", "label", "entailment", "not_entailment");

    public static TaskSpec Create() => new("glue/rte", 1, "RTE: binary textual entailment (accuracy).",
        GlueSuite.Tags, Modality.Text, HeadSpec.Classification("entailment", "not_entailment"),
        [new MetricSpec("accuracy", true, "dev", GlueMetrics.Accuracy)],
        new GlueDataSource(Format()));
}
