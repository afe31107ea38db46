namespace PeftBench.Tasks.Glue;

/// <summary>The GLUE suite's tag and its tasks in the order of the GLUE paper's table.</summary>
public static class GlueSuite
{
    public const string Name = "glue";

    public static IReadOnlyList<string> Tags => [Name];

    public static IReadOnlyList<string> TaskIds =>
        ["glue/cola", "glue/sst2", "glue/mrpc", "glue/stsb", "glue/qqp", "glue/mnli", "glue/qnli", "glue/rte", "glue/wnli"];
}
