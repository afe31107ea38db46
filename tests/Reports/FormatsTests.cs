using NUnit.Framework;
using PeftBench.Reports.Aggregation;
using PeftBench.Reports.Tables;

namespace PeftBench.Tests.Reports;

public class FormatsTests
{
    [TestCase(1.0, "100%")]
    [TestCase(0.0512, "5.12%")]
    [TestCase(0.00512, "0.512%")]
    [TestCase(0.0000312, "0.0031%")]
    public void Percent(double fraction, string expected) => Assert.That(Formats.Percent(fraction), Is.EqualTo(expected));

    [TestCase(850, "850")]
    [TestCase(7_168, "7.17k")]
    [TestCase(36_900, "36.9k")]
    [TestCase(1_400_000, "1.40M")]
    public void Count(double n, string expected) => Assert.That(Formats.Count(n), Is.EqualTo(expected));

    [Test]
    public void MeanStdIsScaledAndBlankWithOneSeed()
    {
        Assert.That(Formats.MeanStd(new SampleStats(3, 0.8512, 0.0043, null), 100), Is.EqualTo("85.1 ± 0.4"));
        Assert.That(Formats.MeanStd(new SampleStats(1, 0.8512, null, null), 100), Is.EqualTo("85.1"));
    }
}
