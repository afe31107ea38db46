using PeftBench.Tasks.Builders;

namespace PeftBench.Tasks.Code.Mini;

/// <summary>One test case: the arguments by parameter name and the value the program must return.</summary>
public sealed record MiniTestCase(IReadOnlyDictionary<string, MiniValue> Arguments, MiniValue Expected)
{
    public override string ToString() =>
        string.Join(", ", Arguments.Select(a => $"{a.Key} = {a.Value}")) + $" → {Expected}";
}

/// <summary>
/// One program-synthesis problem of the embedded code task: an English description, the parameters the program body
/// sees, a reference program in the embedded language, and test cases whose expected values come from an independent
/// C# oracle (so a wrong reference program is caught by the tests rather than defining the answer).
/// </summary>
public sealed record MiniProblem(string Id, string Description, IReadOnlyList<string> Parameters, string ReferenceProgram,
    IReadOnlyList<MiniTestCase> Tests);

/// <summary>
/// The embedded code task's generator: short list programs ("return the sum of the even numbers in x", "return x
/// reversed", …), some with a constant in the description so one family yields several distinct problems. Every
/// problem lands in exactly one split, train or test, by a shuffle seeded from <see cref="Seed"/>: the test split holds
/// problems never seen in training. Inputs are small (lists of 1–8 integers in 0..20) to suit a tiny decoder.
/// <para>47 families, 220 problems: 16 families with a constant give 189 (so a test problem such as "times-7" often has
/// siblings with other constants in training: the model must fit the constant into a program shape it learned), 31
/// without one give one problem each, which lies in one split only. Test = 25% (55), train 165 — enough for a decoder to
/// pick up the language; the first version's 51 problems left it 38.</para>
/// </summary>
public static class MiniTasks
{
    public const int Seed = 8;
    public const int TestsPerProblem = 5;
    public const double TestFraction = 0.25;

    private sealed record Family(string Id, string Description, string[] Parameters, string Program,
        Func<long[], long, long, MiniValue> Oracle, int[] Constants);

    private static MiniValue L(IEnumerable<long> items) => MiniValue.List(items);
    private static MiniValue I(long value) => MiniValue.Int(value);
    private static readonly string[] X = ["x"], XK = ["x", "k"];
    private static readonly int[] None = [0];

    /// <summary>The constants <paramref name="first"/>..<paramref name="last"/>, both included.</summary>
    private static int[] Span(int first, int last) => Enumerable.Range(first, last - first + 1).ToArray();

    // {c} in a description or program is the problem's constant; the oracle gets it as its last argument.
    private static readonly Family[] Families =
    [
        new("sum-even", "return the sum of the even numbers in x", X,
            "s = 0\nfor v in x { if v % 2 == 0 { s = s + v } }\nreturn s", (x, k, c) => I(x.Where(v => v % 2 == 0).Sum()), None),
        new("sum", "return the sum of the elements of x", X,
            "s = 0\nfor v in x { s = s + v }\nreturn s", (x, k, c) => I(x.Sum()), None),
        new("reverse", "return x reversed", X,
            "r = []\ni = len(x) - 1\nwhile i >= 0 { r = append(r, x[i]); i = i - 1 }\nreturn r", (x, k, c) => L(x.Reverse()), None),
        new("largest", "return the largest element of x", X,
            "m = x[0]\nfor v in x { if v > m { m = v } }\nreturn m", (x, k, c) => I(x.Max()), None),
        new("smallest", "return the smallest element of x", X,
            "m = x[0]\nfor v in x { if v < m { m = v } }\nreturn m", (x, k, c) => I(x.Min()), None),
        new("spread", "return the largest element of x minus the smallest", X,
            "a = x[0]\nb = x[0]\nfor v in x {\nif v > a { a = v }\nif v < b { b = v }\n}\nreturn a - b", (x, k, c) => I(x.Max() - x.Min()), None),
        new("last", "return the last element of x", X,
            "return x[len(x) - 1]", (x, k, c) => I(x[^1]), None),
        new("count-odd", "return how many odd numbers x holds", X,
            "n = 0\nfor v in x { if v % 2 == 1 { n = n + 1 } }\nreturn n", (x, k, c) => I(x.Count(v => v % 2 == 1)), None),
        new("sum-even-positions", "return the sum of the elements of x at even positions (0, 2, 4, ...)", X,
            "s = 0\ni = 0\nwhile i < len(x) { s = s + x[i]; i = i + 2 }\nreturn s", (x, k, c) => I(x.Where((_, i) => i % 2 == 0).Sum()), None),
        new("is-sorted", "return 1 if x is in non-decreasing order, else 0", X,
            "i = 1\nwhile i < len(x) { if x[i] < x[i - 1] { return 0 }\ni = i + 1 }\nreturn 1",
            (x, k, c) => I(x.Zip(x.Skip(1)).All(p => p.First <= p.Second) ? 1 : 0), None),
        new("count-greater-k", "return how many elements of x are greater than k", XK,
            "n = 0\nfor v in x { if v > k { n = n + 1 } }\nreturn n", (x, k, c) => I(x.Count(v => v > k)), None),
        new("index-of-k", "return the position of the first element of x equal to k, or -1 if there is none", XK,
            "i = 0\nwhile i < len(x) { if x[i] == k { return i }\ni = i + 1 }\nreturn -1", (x, k, c) => I(Array.IndexOf(x, k)), None),
        new("times-c", "return x with every element multiplied by {c}", X,
            "r = []\nfor v in x { r = append(r, v * {c}) }\nreturn r", (x, k, c) => L(x.Select(v => v * c)), Span(2, 10)),
        new("plus-c", "return x with {c} added to every element", X,
            "r = []\nfor v in x { r = append(r, v + {c}) }\nreturn r", (x, k, c) => L(x.Select(v => v + c)), Span(1, 12)),
        new("count-equal-c", "return how many elements of x equal {c}", X,
            "n = 0\nfor v in x { if v == {c} { n = n + 1 } }\nreturn n", (x, k, c) => I(x.Count(v => v == c)), Span(0, 12)),
        new("above-c", "return the elements of x that are greater than {c}", X,
            "r = []\nfor v in x { if v > {c} { r = append(r, v) } }\nreturn r", (x, k, c) => L(x.Where(v => v > c)), Span(0, 14)),
        new("multiples-of-c", "return the elements of x that are divisible by {c}", X,
            "r = []\nfor v in x { if v % {c} == 0 { r = append(r, v) } }\nreturn r", (x, k, c) => L(x.Where(v => v % c == 0)), Span(2, 7)),
        // Families added so that a decoder has enough training problems (the first 51 gave it 38): more constants above,
        // and these, each with its own oracle.
        new("below-c", "return the elements of x that are less than {c}", X,
            "r = []\nfor v in x { if v < {c} { r = append(r, v) } }\nreturn r", (x, k, c) => L(x.Where(v => v < c)), Span(1, 15)),
        new("minus-c", "return x with {c} subtracted from every element", X,
            "r = []\nfor v in x { r = append(r, v - {c}) }\nreturn r", (x, k, c) => L(x.Select(v => v - c)), Span(1, 10)),
        new("count-above-c", "return how many elements of x are greater than {c}", X,
            "n = 0\nfor v in x { if v > {c} { n = n + 1 } }\nreturn n", (x, k, c) => I(x.Count(v => v > c)), Span(0, 14)),
        new("count-below-c", "return how many elements of x are less than {c}", X,
            "n = 0\nfor v in x { if v < {c} { n = n + 1 } }\nreturn n", (x, k, c) => I(x.Count(v => v < c)), Span(1, 15)),
        new("sum-times-c", "return the sum of the elements of x multiplied by {c}", X,
            "s = 0\nfor v in x { s = s + v }\nreturn s * {c}", (x, k, c) => I(x.Sum() * c), Span(2, 9)),
        new("mod-c", "return x with every element replaced by its remainder when divided by {c}", X,
            "r = []\nfor v in x { r = append(r, v % {c}) }\nreturn r", (x, k, c) => L(x.Select(v => v % c)), Span(2, 9)),
        new("remove-c", "return x without the elements equal to {c}", X,
            "r = []\nfor v in x { if v != {c} { r = append(r, v) } }\nreturn r", (x, k, c) => L(x.Where(v => v != c)), Span(0, 12)),
        new("cap-c", "return x with every element greater than {c} replaced by {c}", X,
            "r = []\nfor v in x {\nif v > {c} { r = append(r, {c}) } else { r = append(r, v) }\n}\nreturn r",
            (x, k, c) => L(x.Select(v => Math.Min(v, (long)c))), Span(2, 14)),
        new("floor-c", "return x with every element less than {c} replaced by {c}", X,
            "r = []\nfor v in x {\nif v < {c} { r = append(r, {c}) } else { r = append(r, v) }\n}\nreturn r",
            (x, k, c) => L(x.Select(v => Math.Max(v, (long)c))), Span(2, 12)),
        new("contains-c", "return 1 if x contains {c}, else 0", X,
            "for v in x { if v == {c} { return 1 } }\nreturn 0", (x, k, c) => I(x.Contains(c) ? 1 : 0), Span(0, 12)),
        new("sum-above-c", "return the sum of the elements of x that are greater than {c}", X,
            "s = 0\nfor v in x { if v > {c} { s = s + v } }\nreturn s", (x, k, c) => I(x.Where(v => v > c).Sum()), Span(0, 12)),
        new("first", "return the first element of x", X,
            "return x[0]", (x, k, c) => I(x[0]), None),
        new("length", "return the number of elements of x", X,
            "return len(x)", (x, k, c) => I(x.Length), None),
        new("sum-odd", "return the sum of the odd numbers in x", X,
            "s = 0\nfor v in x { if v % 2 == 1 { s = s + v } }\nreturn s", (x, k, c) => I(x.Where(v => v % 2 == 1).Sum()), None),
        new("count-even", "return how many even numbers x holds", X,
            "n = 0\nfor v in x { if v % 2 == 0 { n = n + 1 } }\nreturn n", (x, k, c) => I(x.Count(v => v % 2 == 0)), None),
        new("evens", "return the even numbers of x", X,
            "r = []\nfor v in x { if v % 2 == 0 { r = append(r, v) } }\nreturn r", (x, k, c) => L(x.Where(v => v % 2 == 0)), None),
        new("odds", "return the odd numbers of x", X,
            "r = []\nfor v in x { if v % 2 == 1 { r = append(r, v) } }\nreturn r", (x, k, c) => L(x.Where(v => v % 2 == 1)), None),
        new("squares", "return x with every element squared", X,
            "r = []\nfor v in x { r = append(r, v * v) }\nreturn r", (x, k, c) => L(x.Select(v => v * v)), None),
        new("running-sums", "return the running sums of x (each element plus all before it)", X,
            "r = []\ns = 0\nfor v in x { s = s + v; r = append(r, s) }\nreturn r",
            (x, k, c) => L(x.Select((_, i) => x.Take(i + 1).Sum())), None),
        new("product", "return the product of the elements of x", X,
            "p = 1\nfor v in x { p = p * v }\nreturn p", (x, k, c) => I(x.Aggregate(1L, (a, v) => a * v)), None),
        new("index-of-largest", "return the position of the largest element of x (the first one if it repeats)", X,
            "b = 0\ni = 1\nwhile i < len(x) { if x[i] > x[b] { b = i }\ni = i + 1 }\nreturn b", (x, k, c) => I(Array.IndexOf(x, x.Max())), None),
        new("last-minus-first", "return the last element of x minus the first", X,
            "return x[len(x) - 1] - x[0]", (x, k, c) => I(x[^1] - x[0]), None),
        new("mean-floor", "return the sum of x divided by its length, rounded down", X,
            "s = 0\nfor v in x { s = s + v }\nreturn s / len(x)", (x, k, c) => I(x.Sum() / x.Length), None),
        new("count-rises", "return how many elements of x are greater than the element before them", X,
            "n = 0\ni = 1\nwhile i < len(x) { if x[i] > x[i - 1] { n = n + 1 }\ni = i + 1 }\nreturn n",
            (x, k, c) => I(x.Zip(x.Skip(1)).Count(p => p.Second > p.First)), None),
        new("all-even", "return 1 if every element of x is even, else 0", X,
            "for v in x { if v % 2 == 1 { return 0 } }\nreturn 1", (x, k, c) => I(x.All(v => v % 2 == 0) ? 1 : 0), None),
        new("count-equal-k", "return how many elements of x equal k", XK,
            "n = 0\nfor v in x { if v == k { n = n + 1 } }\nreturn n", (x, k, c) => I(x.Count(v => v == k)), None),
        new("remove-k", "return x without the elements equal to k", XK,
            "r = []\nfor v in x { if v != k { r = append(r, v) } }\nreturn r", (x, k, c) => L(x.Where(v => v != k)), None),
        new("times-k", "return x with every element multiplied by k", XK,
            "r = []\nfor v in x { r = append(r, v * k) }\nreturn r", (x, k, c) => L(x.Select(v => v * k)), None),
        new("sum-below-k", "return the sum of the elements of x that are less than k", XK,
            "s = 0\nfor v in x { if v < k { s = s + v } }\nreturn s", (x, k, c) => I(x.Where(v => v < k).Sum()), None),
        new("first-k", "return the first k elements of x (all of x if it is shorter)", XK,
            "r = []\ni = 0\nwhile i < k and i < len(x) { r = append(r, x[i]); i = i + 1 }\nreturn r", (x, k, c) => L(x.Take((int)k)), None),
    ];

    /// <summary>Every problem, each in one split: (train, test), both in a fixed shuffled order.</summary>
    public static (IReadOnlyList<MiniProblem> Train, IReadOnlyList<MiniProblem> Test) Splits()
    {
        var all = All();
        var shuffled = all.Shuffled(Seeded.For(Seed, "code/split"));
        int testCount = (int)Math.Round(shuffled.Count * TestFraction);
        return (shuffled.Skip(testCount).ToList(), shuffled.Take(testCount).ToList());
    }

    /// <summary>Every problem in family order, test cases drawn from a stream seeded by the problem id.</summary>
    public static IReadOnlyList<MiniProblem> All() =>
        Families.SelectMany(f => f.Constants.Select(c => Make(f, c))).ToList();

    private static MiniProblem Make(Family f, int c)
    {
        string Fill(string text) => text.Replace("{c}", c.ToString(System.Globalization.CultureInfo.InvariantCulture));
        string id = f.Constants == None ? f.Id : f.Id[..^"-c".Length] + "-" + c.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var rng = Seeded.For(Seed, "code/tests/" + id);
        // Tests that all expect one value are passed by "return that value": draw again (same stream) until they differ.
        var tests = Tests(f, c, rng);
        for (int attempt = 0; attempt < 20 && tests.Select(t => t.Expected).Distinct().Count() == 1; attempt++) tests = Tests(f, c, rng);
        return new MiniProblem(id, Fill(f.Description), f.Parameters, Fill(f.Program), tests);
    }

    private static List<MiniTestCase> Tests(Family f, int c, Random rng)
    {
        var tests = new List<MiniTestCase>();
        for (int t = 0; t < TestsPerProblem; t++)
        {
            // A quarter of the elements of a constant's problem are the constant itself, so "equal to c", "contains c"
            // and "without c" see both answers rather than mostly the empty case.
            bool plant = f.Constants != None && c is >= 0 and <= 20;
            var x = Enumerable.Range(0, rng.Next(1, 9)).Select(_ => plant && rng.Next(4) == 0 ? c : (long)rng.Next(0, 21)).ToArray();
            // Half the time k is drawn from x so "equal to k" problems see both answers.
            long k = rng.Next(2) == 0 ? x[rng.Next(x.Length)] : rng.Next(0, 21);
            var arguments = new Dictionary<string, MiniValue> { ["x"] = L(x) };
            if (f.Parameters.Contains("k")) arguments["k"] = I(k);
            tests.Add(new MiniTestCase(arguments, f.Oracle(x, k, c)));
        }
        return tests;
    }
}
