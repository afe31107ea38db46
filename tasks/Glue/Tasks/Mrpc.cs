using PeftBench.Core.Tasks;
using PeftBench.Tasks.Metrics;

namespace PeftBench.Tasks.Glue.Tasks;

/// <summary>
/// MRPC (Dolan &amp; Brockett, 2005): is sentence 2 a paraphrase of sentence 1? Header
/// <c>Quality, #1 ID, #2 ID, #1 String, #2 String</c>; Quality 1 = paraphrase. F1 first, as GLUE reports it.
/// </summary>
public static class Mrpc
{
    public static GlueFormat Format() => GlueFormat.Headered("MRPC", "#1 String", "#2 String", "Quality", "0", "1");

    public static TaskSpec Create() => new("glue/mrpc", 1, "MRPC: paraphrase detection for sentence pairs (F1, accuracy).",
        GlueSuite.Tags, Modality.Text, HeadSpec.Classification("not_equivalent", "equivalent"),
        [new MetricSpec("f1", true, "dev", GlueMetrics.F1), new MetricSpec("accuracy", true, "dev", GlueMetrics.Accuracy)],
        new GlueDataSource(Format()));
}
