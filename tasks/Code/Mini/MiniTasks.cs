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
            "r = []\nfor v in x { r = append(r, v * {c}) }\nreturn r", (x, k, c) => L(x.Select(v => v * c)), [2, 3, 4, 5, 6, 7, 8, 9]),
        new("plus-c", "return x with {c} added to every element", X,
            "r = []\nfor v in x { r = append(r, v + {c}) }\nreturn r", (x, k, c) => L(x.Select(v => v + c)), [1, 2, 3, 4, 5, 6, 7, 8, 9]),
        new("count-equal-c", "return how many elements of x equal {c}", X,
            "n = 0\nfor v in x { if v == {c} { n = n + 1 } }\nreturn n", (x, k, c) => I(x.Count(v => v == c)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
        new("above-c", "return the elements of x that are greater than {c}", X,
            "r = []\nfor v in x { if v > {c} { r = append(r, v) } }\nreturn r", (x, k, c) => L(x.Where(v => v > c)), [0, 2, 4, 6, 8, 10, 12, 14]),
        new("multiples-of-c", "return the elements of x that are divisible by {c}", X,
            "r = []\nfor v in x { if v % {c} == 0 { r = append(r, v) } }\nreturn r", (x, k, c) => L(x.Where(v => v % c == 0)), [2, 3, 4, 5]),
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
        string id = f.Constants == None ? f.Id : f.Id.Replace("-c", "-" + c.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var rng = Seeded.For(Seed, "code/tests/" + id);
        var tests = new List<MiniTestCase>();
        for (int t = 0; t < TestsPerProblem; t++)
        {
            var x = Enumerable.Range(0, rng.Next(1, 9)).Select(_ => (long)rng.Next(0, 21)).ToArray();
            // Half the time k is drawn from x so "equal to k" problems see both answers.
            long k = rng.Next(2) == 0 ? x[rng.Next(x.Length)] : rng.Next(0, 21);
            var arguments = new Dictionary<string, MiniValue> { ["x"] = L(x) };
            if (f.Parameters.Contains("k")) arguments["k"] = I(k);
            tests.Add(new MiniTestCase(arguments, f.Oracle(x, k, c)));
        }
        return new MiniProblem(id, Fill(f.Description), f.Parameters, Fill(f.Program), tests);
    }
}
