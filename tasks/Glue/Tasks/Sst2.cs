using PeftBench.Core.Tasks;
using PeftBench.Tasks.Metrics;

namespace PeftBench.Tasks.Glue.Tasks;

/// <summary>SST-2 (Socher et al., 2013): binary sentiment of one sentence. Header <c>sentence\tlabel</c>, 1 = positive.</summary>
public static class Sst2
{
    public static GlueFormat Format() => GlueFormat.Headered("SST-2", "sentence", null, "label", "0", "1");

    public static TaskSpec Create() => new("glue/sst2", 1, "SST-2: binary sentiment of a sentence (accuracy).",
        GlueSuite.Tags, Modality.Text, HeadSpec.Classification("negative", "positive"),
        [new MetricSpec("accuracy", true, "dev", GlueMetrics.Accuracy)],
        new GlueDataSource(Format()));
}
