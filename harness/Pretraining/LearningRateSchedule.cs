namespace PeftBench.Harness.Pretraining;

/// <summary>
/// Warm-up then decay, the schedule of both pretrainers: linear warm-up to <see cref="Peak"/> over
/// <see cref="WarmupSteps"/>, then linear (BERT) or cosine (GPT/LLaMA practice) decay to
/// <see cref="FinalFraction"/>·peak at the last step.
/// </summary>
public sealed record LearningRateSchedule(double Peak, int WarmupSteps, int Steps, bool Cosine = false, double FinalFraction = 0.0)
{
    public double At(int step)
    {
        if (step < WarmupSteps) return Peak * (step + 1) / WarmupSteps;
        // Linear to zero in the exact arithmetic tiny-bert was trained with, so its recipe replays bit for bit.
        if (!Cosine && FinalFraction == 0) return Peak * Math.Max(0, Steps - step) / Math.Max(1, Steps - WarmupSteps);
        var progress = Math.Min(1.0, (double)(step - WarmupSteps) / Math.Max(1, Steps - WarmupSteps));
        var shape = Cosine ? 0.5 * (1 + Math.Cos(Math.PI * progress)) : 1 - progress;
        return Peak * (FinalFraction + (1 - FinalFraction) * shape);
    }
}
