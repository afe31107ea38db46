using PeftBench.Core.Tasks;
using PeftBench.Tasks.Metrics;

namespace PeftBench.Tasks.Glue.Tasks;

/// <summary>
/// STS-B (Cer et al., 2017): graded similarity 0–5 of a sentence pair, a regression. The official header has
/// ten columns (index, genre, filename, year, old_index, source1, source2, sentence1, sentence2, score).
/// </summary>
public static class Stsb
{
    public static GlueFormat Format() => GlueFormat.Headered("STS-B", "sentence1", "sentence2", "score") with { IsRegression = true, LabelValues = [] };

    public static TaskSpec Create() => new("glue/stsb", 1, "STS-B: semantic similarity 0-5 of sentence pairs (Pearson, Spearman).",
        GlueSuite.Tags, Modality.Text, HeadSpec.Regression(),
        [new MetricSpec("pearson", true, "dev", GlueMetrics.Pearson), new MetricSpec("spearman", true, "dev", GlueMetrics.Spearman)],
        new GlueDataSource(Format()));
}
