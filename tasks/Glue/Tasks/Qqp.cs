using PeftBench.Core.Tasks;
using PeftBench.Tasks.Metrics;

namespace PeftBench.Tasks.Glue.Tasks;

/// <summary>QQP (Quora Question Pairs): are two questions duplicates? Header <c>id, qid1, qid2, question1, question2, is_duplicate</c>.</summary>
public static class Qqp
{
    public static GlueFormat Format() => GlueFormat.Headered("QQP", "question1", "question2", "is_duplicate", "0", "1");

    public static TaskSpec Create() => new("glue/qqp", 1, "QQP: duplicate question detection (F1, accuracy).",
        GlueSuite.Tags, Modality.Text, HeadSpec.Classification("not_duplicate", "duplicate"),
        [new MetricSpec("f1", true, "dev", GlueMetrics.F1), new MetricSpec("accuracy", true, "dev", GlueMetrics.Accuracy)],
        new GlueDataSource(Format()));
}
