using PeftBench.Core.Tasks;
using PeftBench.Tasks.Metrics;

namespace PeftBench.Tasks.Glue.Tasks;

/// <summary>
/// WNLI (Winograd schemas as NLI): sentence 2 replaces the pronoun of sentence 1 with a candidate; label 1 when
/// that candidate is the referent. Header <c>index, sentence1, sentence2, label</c>.
/// </summary>
public static class Wnli
{
    public static GlueFormat Format() => GlueFormat.Headered("WNLI", "sentence1", "sentence2", "label", "0", "1");

    public static TaskSpec Create() => new("glue/wnli", 1, "WNLI: Winograd pronoun resolution as entailment (accuracy).",
        GlueSuite.Tags, Modality.Text, HeadSpec.Classification("not_entailment", "entailment"),
        [new MetricSpec("accuracy", true, "dev", GlueMetrics.Accuracy)],
        new GlueDataSource(Format()));
}
