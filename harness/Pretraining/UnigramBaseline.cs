namespace PeftBench.Harness.Pretraining;

/// <summary>
/// The context-free baseline a masked LM must beat: predict every masked token from training-token frequencies
/// alone (add-one smoothed). Accuracy = always guessing the most frequent ordinary token.
/// </summary>
public static class UnigramBaseline
{
    public static (double Loss, double Accuracy) Score(IEnumerable<int> trainTokens, IReadOnlyList<long> targets, int vocabSize, int firstOrdinaryId)
    {
        var counts = new long[vocabSize];
        long total = 0;
        foreach (var t in trainTokens)
        {
            if (t < firstOrdinaryId) continue;
            counts[t]++;
            total++;
        }
        int best = Array.IndexOf(counts, counts.Max());
        double denominator = total + vocabSize;
        double loss = targets.Average(t => -Math.Log((counts[t] + 1) / denominator));
        double accuracy = targets.Count(t => t == best) / (double)targets.Count;
        return (loss, accuracy);
    }
}
