using System.Globalization;
using System.Text.RegularExpressions;

namespace PeftBench.Tasks.MathProblems;

/// <summary>
/// Answer extraction and normalisation for math word problems, as GSM8K-style graders do it.
/// <para><b>Numbers.</b> The answer is the first number after the last <c>####</c> when the text has one (nothing
/// numeric after it = no answer: the model announced a final answer and gave none); otherwise the last number in the
/// text. A number is an optional sign (<c>-</c>, <c>−</c>, <c>+</c>), an optional <c>$</c>, then a mixed number
/// (<c>1 1/2</c>), a fraction (<c>3/4</c>), or digits with optional thousands commas (<c>1,234</c>), decimals
/// (<c>12.50</c>, <c>.5</c>) and exponent (<c>1.2e3</c>). Units and symbols around it (<c>$</c>, <c>%</c>,
/// <c>dollars</c>, a trailing period) are ignored. Digits glued to a preceding letter (<c>mp3</c>, <c>v2</c>) are
/// part of a word, not a number; a minus right after a digit or letter (<c>5-3</c>) is an operator, not a sign.</para>
/// <para><b>Equality.</b> Two numbers match when |a − b| ≤ 1e-6 · max(1, |a|, |b|) (<see cref="RelativeTolerance"/>),
/// so <c>12.50</c> = <c>12.5</c>, <c>3/4</c> = <c>0.75</c>, and float noise in gold files (<c>2.0000001</c>) does not
/// count as a miss.</para>
/// <para><b>Option letters</b> (AQuA-RAT, A–E, either case): after the last <c>####</c>; else the last of
/// "answer is C", "Answer: (c)", "answer: option C"; else the last parenthesised or closing-bracket letter
/// <c>(C)</c>, <c>c)</c>; else a text that is only the letter (<c>C</c>, <c>C.</c>). Bare letters inside prose are
/// never taken (the article "a" would otherwise read as option A).</para>
/// </summary>
public static class MathAnswers
{
    public const double RelativeTolerance = 1e-6;
    public const string FinalAnswerMarker = "####";

    private static readonly Regex NumberPattern = new(
        @"(?<![\p{L}\p{N}.])(?<sign>[-+−])?(?:\$\s?)?" +
        @"(?:(?<whole>\d+) (?<num>\d+)/(?<den>\d+)(?![\d/])" +
        @"|(?<num>\d+)/(?<den>\d+)(?![\d/])" +
        @"|(?<int>\d{1,3}(?:,\d{3})+(?!\d)|\d+)?(?:\.(?<frac>\d+))?(?<=\d)(?:[eE](?<exp>[-+]?\d+))?)",
        RegexOptions.CultureInvariant);

    // "answer" in any case, then an upper-case letter, or a lower-case one only when bracketed or ending the text
    // ("the answer is a bit unclear" names no option).
    private static readonly Regex AnswerIsLetter = new(
        @"(?i:answer)(?:\s+is)?\s*[:=]?\s*(?:(?i:option)\s*)?" +
        @"(?:\((?<letter>[A-Ea-e])\)|(?<letter>[A-Ea-e])\)|(?<letter>[A-E])(?![\p{L}\p{N}])|(?<letter>[a-e])(?=\s*\.?\s*$))",
        RegexOptions.CultureInvariant);

    private static readonly Regex BracketedLetter = new(@"(?<![\p{L}\p{N}])\(?(?<letter>[A-Ea-e])\)", RegexOptions.CultureInvariant);
    private static readonly Regex OnlyLetter = new(@"^\s*\(?(?<letter>[A-Ea-e])\)?[.)]?\s*$", RegexOptions.CultureInvariant);

    /// <summary>The numeric answer of a generated text, or null when it has none.</summary>
    public static double? ExtractNumber(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var marker = text.LastIndexOf(FinalAnswerMarker, StringComparison.Ordinal);
        if (marker >= 0)
        {
            var first = NumberPattern.Match(text, marker + FinalAnswerMarker.Length);
            return first.Success ? Value(first) : null;
        }
        var all = NumberPattern.Matches(text);
        return all.Count == 0 ? null : Value(all[^1]);
    }

    /// <summary>A string that is one number (gold answers: <c>"1,234"</c>, <c>"3/4"</c>, <c>"$12.50"</c>, <c>"30%"</c>), else null.</summary>
    public static double? ParseNumber(string text)
    {
        var all = NumberPattern.Matches(text);
        if (all.Count != 1) return null;
        var rest = text.Remove(all[0].Index, all[0].Length);
        return rest.Any(char.IsDigit) ? null : Value(all[0]);
    }

    /// <summary>The chosen option letter (upper case), or null.</summary>
    public static char? ExtractOptionLetter(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var marker = text.LastIndexOf(FinalAnswerMarker, StringComparison.Ordinal);
        if (marker >= 0)
        {
            var after = text[(marker + FinalAnswerMarker.Length)..];
            var m = Regex.Match(after, @"^\s*\(?(?<letter>[A-Ea-e])(?![\p{L}\p{N}])");
            return m.Success ? char.ToUpperInvariant(m.Groups["letter"].Value[0]) : null;
        }
        foreach (var pattern in new[] { AnswerIsLetter, BracketedLetter, OnlyLetter })
        {
            var matches = pattern.Matches(text);
            if (matches.Count > 0) return char.ToUpperInvariant(matches[^1].Groups["letter"].Value[0]);
        }
        return null;
    }

    public static bool NumbersMatch(double a, double b) =>
        Math.Abs(a - b) <= RelativeTolerance * Math.Max(1.0, Math.Max(Math.Abs(a), Math.Abs(b)));

    /// <summary>Whether <paramref name="generated"/> answers <paramref name="gold"/> (a canonical answer string).</summary>
    public static bool IsCorrect(string? generated, string gold, MathAnswerKind kind)
    {
        if (kind == MathAnswerKind.OptionLetter)
        {
            var goldLetter = ExtractOptionLetter(gold) ?? throw new ArgumentException($"gold answer '{gold}' is not an option letter A–E.", nameof(gold));
            return ExtractOptionLetter(generated) == goldLetter;
        }
        var goldValue = ParseNumber(gold) ?? throw new ArgumentException($"gold answer '{gold}' is not a number.", nameof(gold));
        return ExtractNumber(generated) is { } value && NumbersMatch(value, goldValue);
    }

    /// <summary>Canonical text of a number: integers without a decimal point, others in shortest round-trip form.</summary>
    public static string Format(double value)
    {
        var rounded = Math.Round(value);
        if (Math.Abs(value - rounded) <= 1e-9 * Math.Max(1.0, Math.Abs(value)) && Math.Abs(rounded) < 1e15)
            return ((long)rounded).ToString(CultureInfo.InvariantCulture);
        return value.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>GSM8K's calculator annotations removed: <c>48/2 = &lt;&lt;48/2=24&gt;&gt;24</c> → <c>48/2 = 24</c>.</summary>
    public static string StripCalculatorAnnotations(string text) => Regex.Replace(text, "<<[^<>]*>>", "");

    private static double Value(Match m)
    {
        double v;
        if (m.Groups["den"].Success)
        {
            double den = double.Parse(m.Groups["den"].Value, CultureInfo.InvariantCulture);
            v = double.Parse(m.Groups["num"].Value, CultureInfo.InvariantCulture) / den;
            if (m.Groups["whole"].Success) v += double.Parse(m.Groups["whole"].Value, CultureInfo.InvariantCulture);
        }
        else
        {
            var digits = (m.Groups["int"].Success ? m.Groups["int"].Value.Replace(",", "") : "0")
                + (m.Groups["frac"].Success ? "." + m.Groups["frac"].Value : "")
                + (m.Groups["exp"].Success ? "e" + m.Groups["exp"].Value : "");
            v = double.Parse(digits, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return m.Groups["sign"].Value is "-" or "−" ? -v : v;
    }
}
