using System.Diagnostics;
using System.Text.RegularExpressions;
using NUnit.Framework;
using PeftBench.Reports;

namespace PeftBench.Tests.Reports;

/// <summary>
/// report.html opened in headless Chromium: it loads with no console error, its script runs (and sorts), and the DOM
/// has the tables and the inline SVG plots; a screenshot is kept as a test attachment. Where no Chromium is installed
/// the browser tests are ignored with the reason (<c>make report-check</c> installs it and runs them).
/// </summary>
[Category("Browser")]
public class HtmlReportTests
{
    static string _dir = "";
    static string _html = "";

    [OneTimeSetUp]
    public void WriteReport()
    {
        _dir = Directory.CreateTempSubdirectory("peftbench-html-").FullName;
        var cells = CellBuilder.NoisyGlueRun().Select(c => c with
        {
            History = Enumerable.Range(1, 6).Select(step => new HistoryPoint(step, 0.7 / step + c.Cell.Seed * 0.01,
                step % 2 == 0 ? c.TaskScore!.Value * (0.7 + 0.05 * step) : null)).ToList(),
        }).ToList();
        var paths = RunReport.Write(cells, _dir, new ReportOptions { Title = "GLUE noisy run", TaskOrder = ["glue/cola", "glue/sst2", "glue/mrpc", "glue/stsb"] });
        _html = paths.Html!;
    }

    [OneTimeTearDown]
    public void Cleanup()
    {
        if (Environment.GetEnvironmentVariable("PEFTBENCH_KEEP_TEST_OUTPUT") == "1") TestContext.Out.WriteLine($"kept {_dir}");
        else Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void TheReportIsOneSelfContainedPage()
    {
        var html = File.ReadAllText(_html);
        Assert.That(Regex.Matches(html, "<table").Count, Is.GreaterThanOrEqualTo(5), "results, budgets, efficiency, all results, provenance");
        Assert.That(Regex.Matches(html, "<svg").Count, Is.EqualTo(4 + 4 * 2), "4 Pareto views and 2 curves per task, inline");
        Assert.That(html, Does.Not.Contain("<?xml"), "SVG declarations are stripped");
        Assert.That(html, Does.Not.Match("(src|href)=\"(https?:)?//"), "nothing loaded from the network");
        Assert.That(html, Does.Contain("abc1234"), "provenance: the commit");
        Assert.That(Directory.GetFiles(Path.Combine(_dir, "curves", "cells"), "*.svg"), Has.Length.EqualTo(60));
        Assert.That(File.ReadAllText(Path.Combine(_dir, "results.tex")), Does.Contain("\\begin{tabular}"));
        foreach (var f in new[] { "aggregates.csv", "tables/results.csv", "tables/budgets.csv", "pareto_memory.png", "curves/SST-2_loss.svg" })
            Assert.That(File.Exists(Path.Combine(_dir, f)), Is.True, f);
    }

    [Test]
    public void LoadsInHeadlessChromiumWithoutErrors()
    {
        var chromium = FindChromium() ?? IgnoreNoChromium();
        var (dom, log) = Chromium(chromium, "--dump-dom", new Uri(_html).AbsoluteUri + "#selftest");
        Assert.That(dom, Does.Contain("data-report-ready=\"1\""), "the page's script ran to the end");
        Assert.That(dom, Does.Not.Contain("data-js-error=\""), "no uncaught error (the attribute, not the handler's source)");
        var consoleErrors = log.Split('\n').Where(l => l.Contains("CONSOLE", StringComparison.Ordinal) &&
            (l.Contains("Uncaught", StringComparison.Ordinal) || l.Contains("Error", StringComparison.Ordinal))).ToList();
        Assert.That(consoleErrors, Is.Empty, "console errors:\n" + string.Join("\n", consoleErrors));
        Assert.That(Regex.Matches(dom, "<table").Count, Is.GreaterThanOrEqualTo(5));
        Assert.That(Regex.Matches(dom, "<svg").Count, Is.EqualTo(12));

        // #selftest sorted "All results" by score, descending: the first row holds the largest score.
        var sortable = dom[dom.IndexOf("results sortable", StringComparison.Ordinal)..];
        sortable = sortable[..sortable.IndexOf("</table>", StringComparison.Ordinal)];
        Assert.That(sortable, Does.Contain("aria-sort=\"descending\""));
        var scores = Regex.Matches(sortable, "<tr>(?:<td[^>]*>.*?</td>){6}<td class=\"num\" data-v=\"([0-9.]+)\"")
            .Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.That(scores, Has.Count.EqualTo(20));
        Assert.That(scores, Is.Ordered.Descending);
    }

    [Test]
    public void ScreenshotShowsThePage()
    {
        var chromium = FindChromium() ?? IgnoreNoChromium();
        var png = Path.Combine(TestContext.CurrentContext.WorkDirectory, "report-screenshot.png");
        File.Delete(png);
        Chromium(chromium, $"--screenshot={png}", new Uri(_html).AbsoluteUri, "--window-size=1400,2000", "--hide-scrollbars");
        Assert.That(File.Exists(png), Is.True, "Chromium wrote no screenshot");
        Assert.That(new FileInfo(png).Length, Is.GreaterThan(50_000), "a blank page compresses to almost nothing");
        TestContext.AddTestAttachment(png, "report.html in headless Chromium");
        TestContext.Out.WriteLine($"screenshot: {png}");
    }

    static string IgnoreNoChromium()
    {
        Assert.Ignore("No Chromium found (chromium, chromium-browser or PEFTBENCH_CHROMIUM): the browser check of report.html is skipped. `make report-check` installs Debian's chromium and runs it.");
        return "";
    }

    static string? FindChromium()
    {
        if (Environment.GetEnvironmentVariable("PEFTBENCH_CHROMIUM") is { Length: > 0 } given && File.Exists(given)) return given;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return new[] { "chromium", "chromium-browser", "google-chrome" }
            .SelectMany(name => path.Split(Path.PathSeparator).Select(dir => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);
    }

    static (string Stdout, string Stderr) Chromium(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--enable-logging=stderr", "--v=0", $"--user-data-dir={Path.Combine(_dir, ".chromium")}" }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail("Chromium did not finish within 90 s.");
        }
        return (stdout.Result, stderr.Result);
    }
}
