using NUnit.Framework;
using PeftBench.Harness.Merging;
using static TorchSharp.torch;

namespace PeftBench.Tests.Harness;

/// <summary>The merge step's arithmetic against hand computation: masks, ternarisation, stored bits, task-vector sums, scale choice.</summary>
public class MergingMathTests
{
    private static float[] Values(Tensor t) => t.data<float>().ToArray();

    [Test]
    public void KeptCountIsTheCeilingOfDensityTimesSize()
    {
        Assert.Multiple(() =>
        {
            Assert.That(SparseUpdate.KeptCount(0.1, 30), Is.EqualTo(3), "0.1·30 is 3, not 4 from 3.0000000000000004");
            Assert.That(SparseUpdate.KeptCount(0.05, 2), Is.EqualTo(1), "a small tensor keeps at least one entry");
            Assert.That(SparseUpdate.KeptCount(0.5, 3), Is.EqualTo(2));
            Assert.That(SparseUpdate.KeptCount(1.0, 7), Is.EqualTo(7));
        });
        Assert.Throws<ArgumentOutOfRangeException>(() => SparseUpdate.KeptCount(0, 10));
    }

    [Test]
    public void TopKKeepsTheLargestMagnitudesAndBreaksTiesByPosition()
    {
        using var tau = tensor(new float[] { 0.5f, -3f, 2f, 0f, -1f, 4f });
        using var mask = SparseUpdate.TopMagnitudeMask(tau, 0.5);
        Assert.That(Values(mask), Is.EqualTo(new float[] { 0, 1, 1, 0, 0, 1 }));
        using var ties = tensor(new float[] { 1f, -1f, 1f, 0.5f });
        using var tieMask = SparseUpdate.TopMagnitudeMask(ties, 0.5);
        Assert.That(Values(tieMask), Is.EqualTo(new float[] { 1, 1, 0, 0 }), "equal magnitudes: the lower positions win");
        using var sparse = tensor(new float[] { 0f, 2f, 0f, 0f });
        using var sparseMask = SparseUpdate.TopMagnitudeMask(sparse, 0.75);
        Assert.That(Values(sparseMask), Is.EqualTo(new float[] { 0, 1, 0, 0 }), "a kept zero is not stored");
    }

    [Test]
    public void TernarisationIsAlphaSigmaSignOnTheKeptEntries()
    {
        var raw = new[] { 0.5, -3, 2, 0, -1, 4 };
        using var tau = tensor(raw.Select(v => (float)v).ToArray());
        // σ by hand: Bessel-corrected standard deviation of all six entries (before masking), as torch's std.
        var mean = raw.Average();
        var sigma = Math.Sqrt(raw.Sum(v => (v - mean) * (v - mean)) / (raw.Length - 1));
        Assert.That(sigma, Is.EqualTo(2.41695).Within(1e-5));
        using var mask = SparseUpdate.TopMagnitudeMask(tau, 0.5);
        using var ternaryBase = SparseUpdate.TernaryBase(tau, mask);
        using var compressed = ternaryBase * 2.0;
        var expected = new[] { 0, -2 * sigma, 2 * sigma, 0, 0, 2 * sigma };
        Assert.That(Values(compressed).Select(v => (double)v), Is.EqualTo(expected).Within(1e-5));
    }

    [Test]
    public void BreadcrumbsDropsTheOutliersAndTheSmallEntries()
    {
        // |τ| = 1 … 100 with alternating signs: γ = 0.02 drops 100 and 99, density 0.1 keeps the next ten (98 … 89).
        using var tau = tensor(Enumerable.Range(1, 100).Select(i => (float)(i % 2 == 0 ? i : -i)).ToArray());
        using var mask = SparseUpdate.BreadcrumbsMask(tau, 0.1, 0.02);
        var kept = Values(mask).Select((m, i) => (m, i)).Where(x => x.m == 1).Select(x => x.i + 1).ToList();
        Assert.That(kept, Is.EqualTo(Enumerable.Range(89, 10)));
        using var all = SparseUpdate.BreadcrumbsMask(tau, 1.0, 0.02);
        Assert.That(Values(all), Is.All.EqualTo(1f), "density 1 keeps everything: the outliers give way");
        using var small = tensor(new float[] { 3f, -1f, 2f });
        using var smallMask = SparseUpdate.BreadcrumbsMask(small, 0.5, 0.01);
        Assert.That(Values(smallMask), Is.EqualTo(new float[] { 1, 0, 1 }), "⌊0.01·3⌋ = 0 outliers, ⌈0.5·3⌉ = 2 kept");
    }

    [Test]
    public void StoredBitsFollowTheGolombFormula()
    {
        // n = 16, positions {2, 3, 9}: q = 3/16, b = ⌈−ln(2 − q)/ln(1 − q)⌉ = ⌈2.864⌉ = 3; gaps 2, 0, 5.
        // b = 3: c = 2, u = 1. Gap 2: 0 + 1 + 2 bits; gap 0: 0 + 1 + 1; gap 5: 1 + 1 + 2. Total 9.
        long[] positions = [2, 3, 9];
        Assert.Multiple(() =>
        {
            Assert.That(SparseUpdate.GolombParameter(3, 16), Is.EqualTo(3));
            Assert.That(SparseUpdate.GolombBits(2, 3), Is.EqualTo(3));
            Assert.That(SparseUpdate.GolombBits(0, 3), Is.EqualTo(2));
            Assert.That(SparseUpdate.GolombBits(5, 3), Is.EqualTo(4));
            Assert.That(SparseUpdate.PositionBits(positions, 16), Is.EqualTo(9));
            Assert.That(SparseUpdate.TernaryBlockBits(positions, 16), Is.EqualTo(32 + 32 + 9 + 3), "count, scale, positions, signs");
            Assert.That(SparseUpdate.ValueBlockBits(positions, 16), Is.EqualTo(32 + 9 + 3 * 32), "count, positions, fp32 values");
            Assert.That(SparseUpdate.ValueBlockBits(Enumerable.Range(0, 16).Select(i => (long)i).ToArray(), 16), Is.EqualTo(16 * 32), "dense is cheaper when all are kept");
            Assert.That(SparseUpdate.PositionBits(Enumerable.Range(0, 8).Select(i => (long)i).ToArray(), 8), Is.EqualTo(8), "density 1: b = 1, one bit per position");
            Assert.That(SparseUpdate.Bytes(76), Is.EqualTo(10));
        });
        using var t = tensor(new float[] { 0, 0, 1, -2, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0 });
        Assert.That(SparseUpdate.Positions(t), Is.EqualTo(positions));
    }

    [Test]
    public void TaskArithmeticAddsTheScaledSumOfTheTasksUpdates()
    {
        using var w1 = tensor(new float[] { 1, 2 });
        using var b1 = tensor(new float[] { 1 });
        using var w2 = tensor(new float[] { 3, -1 });
        var sum = MergeStep.SumDeltas([new Dictionary<string, Tensor> { ["w"] = w1, ["b"] = b1 }, new Dictionary<string, Tensor> { ["w"] = w2 }], null);
        Assert.That(Values(sum["w"]), Is.EqualTo(new float[] { 4, 1 }));
        Assert.That(Values(sum["b"]), Is.EqualTo(new float[] { 1 }), "a tensor only one task changes");
        Assert.That(Values(w1), Is.EqualTo(new float[] { 1, 2 }), "the inputs are not modified");
        using var theta0 = tensor(new float[] { 10, 20 });
        using var merged = MergeStep.ApplyTaskVector(theta0, sum["w"], 0.5);
        Assert.That(Values(merged), Is.EqualTo(new float[] { 12, 20.5f }), "θ₀ + λ·Σ with λ = 0.5");
        foreach (var t in sum.Values) t.Dispose();

        // Breadcrumbs' merge masks each task's update before the sum.
        var masked = MergeStep.SumDeltas([new Dictionary<string, Tensor> { ["w"] = w1 }, new Dictionary<string, Tensor> { ["w"] = w2 }],
            t => MergeStep.MaskTensor(t, 0.5, 0).Masked);
        Assert.That(Values(masked["w"]), Is.EqualTo(new float[] { 3, 2 }), "[0, 2] + [3, 0]");
        foreach (var t in masked.Values) t.Dispose();
    }

    [Test]
    public void TheScaleWithTheBestSelectionScoreWinsAndTiesGoToOne()
    {
        var scores = new Dictionary<double, double> { [0.5] = 0.8, [1] = 0.8, [2] = 0.7 };
        Assert.That(MergeStep.Choose([0.5, 1, 2], s => scores[s]), Is.EqualTo((1.0, 0.8)));
        scores[2] = 0.9;
        Assert.That(MergeStep.Choose([0.5, 1, 2], s => scores[s]).Scale, Is.EqualTo(2.0));
        Assert.That(MergeStep.Choose([0.5, 2], s => s == 2 ? double.NaN : 0.1).Scale, Is.EqualTo(0.5), "NaN never wins");
    }

    [Test]
    public void UnknownOpsSuggestTheNearestName()
    {
        var problems = new List<string>();
        var ops = MergeOps.Parse(["compeftt,task-arithmetic"], problems);
        Assert.That(ops, Is.EqualTo(new[] { MergeOps.TaskArithmetic }));
        Assert.That(problems.Single(), Does.Contain("unknown op 'compeftt'").And.Contain("Did you mean 'compeft'"));
    }
}
