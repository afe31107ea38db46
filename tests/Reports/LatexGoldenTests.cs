using NUnit.Framework;
using PeftBench.Reports;
using PeftBench.Reports.Aggregation;
using PeftBench.Reports.Tables;

namespace PeftBench.Tests.Reports;

/// <summary>LaTeX output against golden files (no compiling); PEFTBENCH_UPDATE_GOLDENS=1 rewrites them.</summary>
public class LatexGoldenTests
{
    static readonly ReportOptions Options = new()
    {
        Title = "GLUE noisy run",
        TaskOrder = ["glue/cola", "glue/sst2", "glue/mrpc", "glue/stsb"],
    };

    [Test]
    public void ResultsTex()
    {
        var s = Aggregator.Summarize(CellBuilder.NoisyGlueRun(), Options);
        Goldens.Match(RunReport.Latex(RunReport.Tables(s, Options), Options), "results.tex");
    }

    [Test]
    public void ResultsTexWithConfidenceIntervalsAndAReference()
    {
        var options = Options with { LatexSpread = Spread.Ci95, Significance = new SignificanceOptions { Reference = "bitfit" } };
        var s = Aggregator.Summarize(CellBuilder.NoisyGlueRun(), options);
        Goldens.Match(LatexRenderer.Render(ResultsTableBuilder.Build(s, CellBuilder.Model, options), Spread.Ci95), "results_ci_reference.tex");
    }

    [Test]
    public void GlueRunWithFailuresTex()
    {
        var s = Aggregator.Summarize(CellBuilder.GlueRun(), Options);
        Goldens.Match(RunReport.Latex(RunReport.Tables(s, Options), Options), "results_notok.tex");
    }

    [Test]
    public void EscapesLatexSpecialCharacters()
    {
        Assert.That(LatexRenderer.Text("lora (0.5%) & a_b #1 {x} ~ ^ $ \\"),
            Is.EqualTo("lora (0.5\\%) \\& a\\_b \\#1 \\{x\\} \\textasciitilde{} \\textasciicircum{} \\$ \\textbackslash{}"));
        Assert.That(LatexRenderer.Text("Model `tiny_bert` ×100 ± 1 — ok"), Is.EqualTo("Model \\texttt{tiny\\_bert} $\\times$100 $\\pm$ 1 --- ok"));
    }

    [Test]
    public void BestBoldSecondUnderlinedRespectingDirection()
    {
        // A lower-is-better column: the smallest mean is best.
        var entries = new[] { 0.30, 0.10, 0.20, 0.40 }
            .Select(v => new ScoreEntry(SampleStats.Of([v, v + 0.02]), new Dictionary<long, double>(), new Dictionary<long, ExampleScores>()))
            .ToList();
        var cells = ScoreColumns.Format([new ScoreColumn(false, entries)], ["a", "b", "c", "d"], 100, new SignificanceOptions(), out _)[0];
        Assert.That(cells.Select(c => (c.Best, c.Second)), Is.EqualTo(new[] { (false, false), (true, false), (false, true), (false, false) }));
        var table = new Table("T", "c", [new Column("M", false), new Column("x", true)],
            cells.Select((c, i) => (IReadOnlyList<TableCell>)[new TableCell(((char)('a' + i)).ToString()), c]).ToList(), []);
        var tex = LatexRenderer.Render(table);
        Assert.That(tex, Does.Contain("\\textbf{11.0}\\,$\\pm$\\,1.4").And.Contain("\\underline{21.0}"));
        Assert.That(tex, Does.Contain("\\toprule").And.Contain("\\midrule").And.Contain("\\bottomrule").And.Contain("\\label{tab:t}"));
    }
}
