using NUnit.Framework;
using PeftBench.Reports;
using PeftBench.Reports.Aggregation;

namespace PeftBench.Tests.Reports;

/// <summary>Renderer output against golden files (PEFTBENCH_UPDATE_GOLDENS=1 rewrites them).</summary>
public class MarkdownGoldenTests
{
    static readonly ReportOptions Options = new()
    {
        Title = "GLUE smoke run",
        TaskOrder = ["glue/cola", "glue/sst2", "glue/mrpc", "glue/stsb"],
    };

    [Test]
    public void ResultsMarkdown()
    {
        var s = Aggregator.Summarize(CellBuilder.GlueRun(), Options);
        Goldens.Match(PeftBench.Reports.ResultsMarkdown.Render(s, Options, ["pareto_params.png", "pareto_params.svg"]), "results.md");
    }

    [Test]
    public void ConsoleSummary()
    {
        var s = Aggregator.Summarize(CellBuilder.GlueRun(), Options);
        Goldens.Match(RunReport.ConsoleSummary(s, Options), "console.txt");
    }
}
