namespace PeftBench.Tasks.MathProblems;

/// <summary>
/// Exact-match accuracy of generated answers, the metric of GSM8K, SVAMP, MAWPS and AQuA-RAT: the fraction (0–1) of
/// generations whose extracted answer equals the gold one after normalisation (<see cref="MathAnswers"/>: numbers
/// within 1e-6 relative, option letters case-insensitively). A generation with no answer counts as wrong. An empty
/// list gives 0 (as the GLUE metrics do), so a NaN never reaches seed averages.
/// </summary>
public static class MathExactMatch
{
    public static double Accuracy(IReadOnlyList<(string Generated, string Gold)> pairs, MathAnswerKind kind)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) return 0;
        return (double)pairs.Count(p => MathAnswers.IsCorrect(p.Generated, p.Gold, kind)) / pairs.Count;
    }

    /// <summary>Accuracy of generations against a split's examples, in order.</summary>
    public static double Accuracy(IReadOnlyList<string> generated, IReadOnlyList<GenerationExample> examples, MathAnswerKind kind)
    {
        if (generated.Count != examples.Count)
            throw new ArgumentException($"{generated.Count} generations for {examples.Count} examples; give one generation per example.");
        return Accuracy(generated.Zip(examples, (g, e) => (g, e.Answer)).ToList(), kind);
    }
}
