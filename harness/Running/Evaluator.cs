using System.Diagnostics;
using PeftBench.Core.Models;
using static TorchSharp.torch;

namespace PeftBench.Harness.Running;

/// <summary>Predictions on one split and the wall time of the timed part (first batch excluded as warm-up).</summary>
public sealed record Predictions(float[] Values, double TimedSeconds, int TimedExamples)
{
    public double ExamplesPerSecond => TimedSeconds > 0 ? TimedExamples / TimedSeconds : double.NaN;
}

/// <summary>Inference in eval mode without gradients: argmax for classification, the value for regression.</summary>
public static class Evaluator
{
    public static Predictions Predict(SequenceClassifier model, IEncodedSplit split, int limit, int batchSize, bool isRegression, Device device)
    {
        model.eval();
        var count = limit > 0 ? Math.Min(limit, split.Count) : split.Count;
        var values = new float[count];
        double timed = 0;
        var timedExamples = 0;
        using var _ = no_grad();
        // Batches of similar length pad less; predictions go back to their rows' positions.
        var byLength = Enumerable.Range(0, count).OrderBy(split.LengthOf).ThenBy(i => i).ToList();
        for (var start = 0; start < count; start += batchSize)
        {
            var idx = byLength.GetRange(start, Math.Min(batchSize, count - start));
            var watch = Stopwatch.StartNew();
            using (var scope = NewDisposeScope())
            {
                var (batch, _) = split.Batch(idx, device, isRegression);
                var output = model.call(batch);
                var predicted = isRegression ? output.squeeze(-1) : output.argmax(-1).to_type(ScalarType.Float32);
                var host = predicted.cpu().data<float>().ToArray();
                for (var k = 0; k < idx.Count; k++) values[idx[k]] = host[k];
            }
            watch.Stop();
            if (start > 0) { timed += watch.Elapsed.TotalSeconds; timedExamples += idx.Count; }
        }
        return new Predictions(values, timed, timedExamples);
    }
}
