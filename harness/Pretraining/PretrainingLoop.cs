using System.Diagnostics;
using static TorchSharp.torch;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// The optimizer loop both pretrainers share: per step, build the batch (untimed), then in one dispose scope set the
/// learning rate, compute the loss, back-propagate, clip the gradient norm and step; the loss leaves the scope as a
/// float. The step time covers forward, backward and update only.
/// </summary>
public static class PretrainingLoop
{
    public static List<float> Run<TBatch>(optim.Optimizer optimizer, IReadOnlyList<TorchSharp.Modules.Parameter> parameters, int steps,
        LearningRateSchedule schedule, double gradientClipNorm, Func<int, TBatch> nextBatch, Func<TBatch, Tensor> loss,
        List<double> stepMilliseconds, Action<int, float>? onStep)
    {
        var losses = new List<float>(steps);
        for (int step = 0; step < steps; step++)
        {
            var batch = nextBatch(step);
            var clock = Stopwatch.StartNew();
            float lossValue;
            using (var scope = NewDisposeScope())
            {
                foreach (var g in optimizer.ParamGroups) g.LearningRate = schedule.At(step);
                var l = loss(batch);
                optimizer.zero_grad();
                l.backward();
                nn.utils.clip_grad_norm_(parameters, gradientClipNorm);
                optimizer.step();
                lossValue = l.item<float>();
            }
            // AdamW's native temporaries are freed by finalizers: collect every step or RSS grows without bound.
            GC.Collect();
            stepMilliseconds.Add(clock.Elapsed.TotalMilliseconds);
            losses.Add(lossValue);
            onStep?.Invoke(step, lossValue);
        }
        return losses;
    }
}
