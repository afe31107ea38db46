using NUnit.Framework;
using PeftBench.Reports.Significance;

namespace PeftBench.Tests.Reports;

public class SignificanceTests
{
    [Test]
    public void PairedTTestAgainstAHandComputation()
    {
        // d = (1, 0, 2, 3): mean 1.5, sample sd √(5/3), t = 1.5 / (√(5/3) / 2) = 2.3237900077;
        // df = 3 has a closed form: p = 1 − (2/π)(θ + sin θ cos θ), θ = atan(t / √3) = 0.1027280789.
        var r = PairedTTest.Test([1, 2, 3, 4], [0, 2, 1, 1])!;
        Assert.That(r.N, Is.EqualTo(4));
        Assert.That(r.DegreesOfFreedom, Is.EqualTo(3));
        Assert.That(r.Statistic, Is.EqualTo(2.32379000772445).Within(1e-12));
        Assert.That(r.P, Is.EqualTo(0.10272807885839896).Within(1e-9));
        Assert.That(r.SignificantAt(0.05), Is.False);
        Assert.That(PairedTTest.Test([0, 2, 1, 1], [1, 2, 3, 4])!.Statistic, Is.EqualTo(-2.32379000772445).Within(1e-12), "antisymmetric");
    }

    [Test]
    public void PairedTTestEdgeCases()
    {
        Assert.That(PairedTTest.Test([1], [0]), Is.Null, "one pair cannot be tested");
        Assert.That(PairedTTest.Test([1, 2, 3], [1, 2, 3])!.P, Is.EqualTo(1), "identical");
        Assert.That(PairedTTest.Test([2, 3, 4], [1, 2, 3])!.P, Is.EqualTo(0), "a constant shift: infinite t");
        Assert.Throws<ArgumentException>(() => PairedTTest.Test([1, 2], [1]));
    }

    [Test]
    public void WilcoxonExactByEnumeration()
    {
        // d = (1, 0, 2, 3): the zero is dropped; ranks 1, 2, 3, W+ = 6, the most extreme of 8 sign patterns (and 0): p = 2/8.
        var r = WilcoxonSignedRank.Test([1, 2, 3, 4], [0, 2, 1, 1])!;
        Assert.That((r.N, r.Statistic, r.P), Is.EqualTo((3, 6.0, 0.25)));
        // d = (1, −1, 2): tied |d| share rank 1.5; W+ = 4.5, centre 3; sums 0, 1.5, 1.5, 3, 3, 4.5, 4.5, 6 → 6 of 8 as extreme.
        Assert.That(WilcoxonSignedRank.Test([1, 0, 2], [0, 1, 0])!.P, Is.EqualTo(0.75));
        Assert.That(WilcoxonSignedRank.AverageRanks([3, 1, 1, 2]), Is.EqualTo(new[] { 4, 1.5, 1.5, 3 }));
        Assert.That(WilcoxonSignedRank.Test([1, 2], [1, 2])!.P, Is.EqualTo(1));
    }

    [Test]
    public void BootstrapIsDeterministicAndSensible()
    {
        double[] Ones(int n, int correct) => Enumerable.Range(0, n).Select(i => i < correct ? 1.0 : 0.0).ToArray();
        IReadOnlyList<IReadOnlyList<double>> Seeds(params double[][] xs) => xs;
        var a = Seeds(Ones(100, 80), Ones(100, 78));
        var b = Seeds(Ones(100, 76), Ones(100, 77));

        var first = PairedBootstrap.Test(a, b, 2000, seed: 7)!;
        var again = PairedBootstrap.Test(a, b, 2000, seed: 7)!;
        Assert.That(again, Is.EqualTo(first), "same seed, same answer");
        Assert.That(first.Statistic, Is.EqualTo(((0.80 - 0.76) + (0.78 - 0.77)) / 2).Within(1e-12), "observed Δ: mean over seeds");
        // a is never worse on any example, so no resample has Δ* < 0; Δ* = 0 only when all 100 draws miss the 4
        // examples with d > 0, probability 0.96^100 ≈ 0.0169: p = 2 · 0.0169 ≈ 0.034 up to resampling noise.
        Assert.That(first.P, Is.InRange(0.015, 0.06));

        Assert.That(PairedBootstrap.Test(a, a, 500, 0)!.P, Is.EqualTo(1), "identical systems");
        Assert.That(PairedBootstrap.Test(Seeds(Ones(50, 50)), Seeds(Ones(50, 0)), 500, 0)!.P, Is.EqualTo(0), "always better");
        Assert.That(PairedBootstrap.Test(Seeds(Ones(50, 50)), Seeds(Ones(40, 0)), 500, 0), Is.Null, "lengths differ: not paired");
    }
}
