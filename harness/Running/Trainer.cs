using System.Diagnostics;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Seeding;
using PeftBench.Harness.Planning;
using PeftBench.Reports;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Harness.Running;

public sealed record TrainOutcome(
    int Steps, int Epochs, double FinalLoss, string? DivergedReason,
    double TrainSeconds, double MedianMsPerStep, double ExamplesPerSecond, double TokensPerSecond,
    IReadOnlyList<HistoryPoint> History)
{
    /// <summary>Padding positions over all positions the training batches computed (0 for fixed-length image/audio inputs).</summary>
    public double PaddingFraction { get; init; }
}

/// <summary>
/// The one training loop every method shares: AdamW, linear warm-up then linear decay, gradient clipping,
/// data order from the cell seed. Timing excludes the first steps (warm-up) and covers forward, backward and
/// the optimizer step. A zeroth-order method (<see cref="IZerothOrderStep"/>) replaces backward, clipping and AdamW
/// with its own step from loss values alone: no optimizer is built, forwards run under no_grad with dropout off.
/// A non-finite loss stops the cell and is reported as divergence, not as an error.
/// The history records the mean loss of every logging window (at most <see cref="MaxLossPoints"/> points) and, when
/// <c>devScore</c> is given, the dev score at <see cref="DevEvaluations"/> evenly spaced steps; dev evaluation runs
/// outside every timer, in eval mode with no randomness drawn, so it changes neither the numbers nor the timings.
/// </summary>
public static class Trainer
{
    public const int MaxLossPoints = 100;
    public const int DevEvaluations = 5;

    public static TrainOutcome Train(SequenceClassifier model, MethodAttachment attachment, IEncodedSplit train, bool isRegression,
        TrainingRecipe recipe, SeedTree seeds, Device device, Action<int, int, double>? onStep = null, Func<double>? devScore = null,
        bool augment = false)
    {
        var indices = TrainingIndices(train.Count, recipe, seeds);
        var stepsPerEpoch = (indices.Count + recipe.BatchSize - 1) / recipe.BatchSize;
        var totalSteps = recipe.Epochs * stepsPerEpoch;
        if (recipe.MaxSteps > 0) totalSteps = Math.Min(totalSteps, recipe.MaxSteps);
        var warmupSteps = (int)Math.Round(recipe.WarmupFraction * totalSteps);

        var groups = new List<AdamW.ParamGroup>();
        var peakRates = new List<double>();
        foreach (var (_, parameters, lr) in attachment.ParameterGroups(model))
        {
            // As Hugging Face's Trainer: no weight decay on biases and norm weights (1-D tensors).
            var decay = parameters.Where(p => p.dim() >= 2).ToList();
            var noDecay = parameters.Where(p => p.dim() < 2).ToList();
            if (decay.Count > 0) { groups.Add(new AdamW.ParamGroup(decay, lr: lr, weight_decay: recipe.WeightDecay)); peakRates.Add(lr); }
            if (noDecay.Count > 0) { groups.Add(new AdamW.ParamGroup(noDecay, lr: lr, weight_decay: 0.0)); peakRates.Add(lr); }
        }
        var trainable = groups.SelectMany(g => g.Parameters).ToList();
        if (trainable.Count == 0) throw new InvalidOperationException("the method left no trainable parameters.");
        var zerothOrder = attachment as IZerothOrderStep;
        if (zerothOrder is not null && peakRates.Distinct().Count() > 1)
            throw new InvalidOperationException("a zeroth-order method trains all its parameters at one learning rate.");
        using var optimizer = zerothOrder is null ? optim.AdamW(groups) : null;
        if (optimizer is not null) attachment.OptimizerCreated(optimizer);
        // MeZO's zo_forward runs in eval mode: the two evaluations of one step must differ only by the perturbation.
        void TrainingMode() { if (zerothOrder is null) model.train(); else model.eval(); }
        Tensor Loss(ModelInputs batch, Tensor labels)
        {
            var loss = TaskLoss.Of(model.call(batch), labels, isRegression);
            return attachment.AuxiliaryLoss() is { } aux ? loss + aux : loss;
        }
        double LossWithoutGraph(ModelInputs batch, Tensor labels)
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            return Loss(batch, labels).item<float>();
        }

        seeds.SeedGlobal("dropout");
        TrainingMode();
        var order = seeds.Random("data-order");
        // Image/audio augmentation (--augment) draws from its own stream; without it nothing is drawn at all.
        var augmentation = augment ? seeds.Random("augmentation") : null;
        var stepTimes = new List<double>();
        long timedExamples = 0, timedTokens = 0, computedPositions = 0, realPositions = 0;
        double timedSeconds = 0, lastLoss = double.NaN;
        var history = new CurveRecorder(totalSteps, devScore is null ? 0 : DevEvaluations);
        var total = Stopwatch.StartNew();
        int step = 0, epoch = 0;
        while (step < totalSteps)
        {
            epoch++;
            var batches = train.GroupByLength ? LengthGroupedBatches(indices, train, recipe.BatchSize, order) : ShuffledBatches(indices, recipe.BatchSize, order);
            foreach (var batchIdx in batches)
            {
                if (step >= totalSteps) break;
                var scale = Schedule(step, warmupSteps, totalSteps);
                if (optimizer is not null)
                {
                    var optimizerGroups = optimizer.ParamGroups.ToList();
                    for (var g = 0; g < optimizerGroups.Count; g++) optimizerGroups[g].LearningRate = peakRates[g] * scale;
                }

                var batchTokens = train.TokenCount(batchIdx);
                var watch = Stopwatch.StartNew();
                using (var scope = NewDisposeScope())
                {
                    var (batch, labels) = train.Batch(batchIdx, device, isRegression, augmentation);
                    // Batches pad to their longest row: how much of the computation padding takes (length bucketing keeps it small).
                    computedPositions += (long)batchIdx.Count * batchIdx.Max(train.LengthOf);
                    realPositions += batchTokens;
                    if (zerothOrder is not null)
                        lastLoss = zerothOrder.Step(trainable, () => LossWithoutGraph(batch, labels), peakRates[0] * scale, recipe.WeightDecay, step);
                    else
                    {
                        var loss = Loss(batch, labels);
                        lastLoss = loss.item<float>();
                        if (double.IsFinite(lastLoss))
                        {
                            optimizer!.zero_grad();
                            loss.backward();
                            nn.utils.clip_grad_norm_(trainable, recipe.MaxGradNorm);
                            optimizer.step();
                        }
                    }
                    if (!double.IsFinite(lastLoss))
                        return Outcome(step + 1, epoch, lastLoss, $"non-finite training loss ({lastLoss}) at step {step + 1}", total, stepTimes, timedExamples, timedTokens, timedSeconds, history);
                }
                attachment.AfterOptimizerStep(step, totalSteps);
                // Adam's temporaries are freed by finalizers; collecting each step keeps memory flat (ENVIRONMENT.md).
                GC.Collect();
                watch.Stop();
                if (step >= recipe.WarmupStepsUntimed)
                {
                    stepTimes.Add(watch.Elapsed.TotalMilliseconds);
                    timedSeconds += watch.Elapsed.TotalSeconds;
                    timedExamples += batchIdx.Count;
                    timedTokens += batchTokens;
                }
                step++;
                if (history.Add(step, lastLoss) && devScore is not null)
                {
                    total.Stop();
                    history.SetDev(step, devScore());
                    TrainingMode();
                    total.Start();
                }
                onStep?.Invoke(step, totalSteps, lastLoss);
            }
        }
        return Outcome(step, epoch, lastLoss, null, total, stepTimes, timedExamples, timedTokens, timedSeconds, history)
            with { PaddingFraction = computedPositions == 0 ? 0 : 1.0 - (double)realPositions / computedPositions };
    }

    private static TrainOutcome Outcome(int steps, int epochs, double loss, string? diverged, Stopwatch total,
        List<double> stepTimes, long examples, long tokens, double seconds, CurveRecorder history) =>
        new(steps, epochs, loss, diverged, total.Elapsed.TotalSeconds,
            stepTimes.Count == 0 ? double.NaN : Median(stepTimes),
            seconds > 0 ? examples / seconds : double.NaN,
            seconds > 0 ? tokens / seconds : double.NaN,
            history.Points);

    /// <summary>Linear warm-up to the peak rate, then linear decay to zero (BERT's GLUE schedule).</summary>
    public static double Schedule(int step, int warmupSteps, int totalSteps)
    {
        if (warmupSteps > 0 && step < warmupSteps) return (step + 1.0) / warmupSteps;
        var remaining = totalSteps - warmupSteps;
        return remaining <= 0 ? 1.0 : Math.Max(0.0, (double)(totalSteps - step) / remaining);
    }

    /// <summary>
    /// One epoch of batches grouped by length (Hugging Face's <c>group_by_length</c>): shuffle, cut into mega-batches
    /// of 50 batches, sort each by length, split into batches, shuffle the batch order. Batches then pad to similar
    /// lengths, which roughly halves the tokens computed on these short-sentence tasks; the order stays random and
    /// depends on the data-order seed only.
    /// </summary>
    public static IEnumerable<List<int>> LengthGroupedBatches(IReadOnlyList<int> indices, IEncodedSplit split, int batchSize, Random order)
    {
        var shuffled = indices.OrderBy(_ => order.Next()).ToList();
        var batches = new List<List<int>>();
        var mega = batchSize * 50;
        for (var start = 0; start < shuffled.Count; start += mega)
        {
            var group = shuffled.GetRange(start, Math.Min(mega, shuffled.Count - start))
                .OrderByDescending(split.LengthOf).ThenBy(i => i).ToList();
            for (var b = 0; b < group.Count; b += batchSize)
                batches.Add(group.GetRange(b, Math.Min(batchSize, group.Count - b)));
        }
        return batches.OrderBy(_ => order.Next()).ToList();
    }

    /// <summary>
    /// One epoch of batches for a split whose examples all have one length (images, audio): a fresh shuffle cut into
    /// batches. Grouping by length would sort each mega-batch by index and so repeat the same batches every epoch.
    /// </summary>
    public static IEnumerable<List<int>> ShuffledBatches(IReadOnlyList<int> indices, int batchSize, Random order) =>
        indices.OrderBy(_ => order.Next()).Chunk(batchSize).Select(b => b.ToList()).ToList();

    /// <summary>All training rows, or a seeded subset when the recipe caps them.</summary>
    internal static List<int> TrainingIndices(int count, TrainingRecipe recipe, SeedTree seeds)
    {
        var all = Enumerable.Range(0, count).ToList();
        if (recipe.MaxTrainExamples <= 0 || recipe.MaxTrainExamples >= count) return all;
        var rng = seeds.Random("train-subset");
        return all.OrderBy(_ => rng.Next()).Take(recipe.MaxTrainExamples).Order().ToList();
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}
