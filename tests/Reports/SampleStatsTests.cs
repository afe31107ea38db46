using NUnit.Framework;
using PeftBench.Reports.Aggregation;

namespace PeftBench.Tests.Reports;

public class SampleStatsTests
{
    [Test]
    public void OneValueHasNoSpread()
    {
        var s = SampleStats.Of([0.8]);
        Assert.That(s, Is.EqualTo(new SampleStats(1, 0.8, null, null)));
    }

    [Test]
    public void SampleStdAndStudentTInterval()
    {
        // 1..4: mean 2.5, sample variance 5/3, t(0.975, 3) = 3.182446.
        var s = SampleStats.Of([1, 2, 3, 4]);
        Assert.That(s.N, Is.EqualTo(4));
        Assert.That(s.Mean, Is.EqualTo(2.5).Within(1e-12));
        Assert.That(s.Std, Is.EqualTo(Math.Sqrt(5.0 / 3)).Within(1e-12));
        Assert.That(s.Ci95HalfWidth, Is.EqualTo(3.182446 * Math.Sqrt(5.0 / 3) / 2).Within(1e-5));
    }

    [Test]
    public void NoValuesIsAnError() => Assert.Throws<ArgumentException>(() => SampleStats.Of([]));
}
