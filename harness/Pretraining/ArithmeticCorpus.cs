using System.Globalization;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// Synthetic arithmetic for the decoder's corpus: bare equalities with computed results, never word problems (the math
/// suite's GSM8K-style generator is separate, so pretraining does not see its format). Each record is a block of lines
/// such as <c>37 + 48 = 85</c>, <c>84 / 7 = 12</c> (exact division only), <c>-3 * 14 = -42</c>, and multi-step chains that
/// reduce every innermost operation at each step: <c>(12 + 7) * (3 + 4) = 19 * 7 = 133</c>, <c>2 + 3 * 4 = 2 + 12 = 14</c>.
/// Everything is drawn from one seeded <see cref="Random"/>.
/// </summary>
public static class ArithmeticCorpus
{
    public const int LinesPerRecord = 10;

    public static IEnumerable<CorpusRecord> Generate(Random rng, long characterBudget)
    {
        long written = 0;
        while (written < characterBudget)
        {
            var lines = Enumerable.Range(0, LinesPerRecord).Select(_ => rng.NextDouble() < 0.55 ? SingleOperation(rng) : Chain(rng));
            var text = string.Join("\n", lines);
            written += text.Length + 1;
            yield return new CorpusRecord("arithmetic", "generated", text);
        }
    }

    /// <summary>A number of 1–4 digits, shorter ones likelier.</summary>
    private static long Number(Random rng, int maxDigits)
    {
        var digits = 1 + (int)Math.Floor(Math.Pow(rng.NextDouble(), 1.6) * maxDigits);
        return rng.NextInt64(digits == 1 ? 0 : (long)Math.Pow(10, digits - 1), (long)Math.Pow(10, digits));
    }

    private static string SingleOperation(Random rng)
    {
        switch (rng.Next(4))
        {
            case 0: { long a = Number(rng, 4), b = Number(rng, 4); return Line($"{a} + {b}", a + b); }
            case 1: { long a = Number(rng, 4), b = Number(rng, 4); return Line($"{a} - {b}", a - b); }
            case 2: { long a = Number(rng, 3), b = Number(rng, rng.Next(2) == 0 ? 1 : 2); return rng.Next(2) == 0 ? Line($"{a} * {b}", a * b) : Line($"{b} * {a}", a * b); }
            default: { long b = rng.NextInt64(1, 13 + (rng.Next(3) == 0 ? 87 : 0)), q = Number(rng, 2); return Line($"{b * q} / {b}", q); }
        }
    }

    private static string Line(string expression, long value) => $"{expression} = {Format(value)}";

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Chain(Random rng)
    {
        var expression = RandomExpression(rng, operations: rng.Next(2, 4));
        var steps = new List<string> { Render(expression, 0, right: false) };
        while (expression is Operation)
        {
            expression = ReduceInnermost(expression);
            steps.Add(Render(expression, 0, right: false));
        }
        return string.Join(" = ", steps);
    }

    private abstract record Expression;
    private sealed record Literal(long Value) : Expression;
    private sealed record Operation(char Operator, Expression Left, Expression Right) : Expression;

    private static Expression RandomExpression(Random rng, int operations)
    {
        if (operations == 0) return new Literal(Number(rng, 2));
        int left = rng.Next(operations);
        var op = "+-*"[rng.Next(3)];
        return new Operation(op, RandomExpression(rng, left), RandomExpression(rng, operations - 1 - left));
    }

    /// <summary>Evaluates every operation whose operands are both numbers (one step of the shown working).</summary>
    private static Expression ReduceInnermost(Expression e) => e switch
    {
        Operation { Left: Literal l, Right: Literal r } o => new Literal(o.Operator switch { '+' => l.Value + r.Value, '-' => l.Value - r.Value, _ => l.Value * r.Value }),
        Operation o => o with { Left = ReduceInnermost(o.Left), Right = ReduceInnermost(o.Right) },
        _ => e,
    };

    private static int Precedence(char op) => op == '*' ? 2 : 1;

    /// <summary>Infix with the parentheses precedence needs (a right operand of equal precedence, or a negative one, is bracketed).</summary>
    private static string Render(Expression e, int parentPrecedence, bool right)
    {
        switch (e)
        {
            case Literal { Value: < 0 } l when right: return $"({Format(l.Value)})";
            case Literal l: return Format(l.Value);
            case Operation o:
                var p = Precedence(o.Operator);
                var text = $"{Render(o.Left, p, right: false)} {o.Operator} {Render(o.Right, p, right: true)}";
                bool bracket = p < parentPrecedence || (right && p == parentPrecedence && parentPrecedence > 0);
                return bracket ? $"({text})" : text;
            default: throw new InvalidOperationException();
        }
    }
}
