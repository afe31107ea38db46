namespace PeftBench.Core.Tokenization;

/// <summary>
/// Hugging Face's <c>longest_first</c> truncation: drop one token at a time from the end of the longer
/// sequence (the second on a tie) until the pair fits, so a long premise cannot squeeze out the hypothesis.
/// </summary>
public static class PairTruncation
{
    public static (IReadOnlyList<int> First, IReadOnlyList<int> Second) LongestFirst(IReadOnlyList<int> first, IReadOnlyList<int> second, int budget)
    {
        if (budget < 0) throw new ArgumentException($"maxLength leaves no room for the special tokens (budget {budget}).");
        int a = first.Count, b = second.Count;
        while (a + b > budget)
        {
            if (a > b) a--;
            else b--;
        }
        return (first.Take(a).ToList(), second.Take(b).ToList());
    }
}
