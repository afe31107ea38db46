using System.Globalization;

namespace PeftBench.Tasks.MathProblems;

/// <summary>A generated math task: fixed train and test splits.</summary>
public sealed record MathSplits(IReadOnlyList<GenerationExample> Train, IReadOnlyList<GenerationExample> Test);

/// <summary>
/// The embedded default of the math suite (synthetic; no GSM8K is shipped): multi-step arithmetic word problems with
/// worked solutions in GSM8K's answer style — one short sentence per step with a calculator annotation
/// (<c>Ann buys &lt;&lt;4*6=24&gt;&gt;24 pens.</c>), then <c>#### N</c>. GSM8K often also writes the expression before
/// the annotation (<c>4*6=&lt;&lt;4*6=24&gt;&gt;24</c>); that form is left out because it costs the tiny-llama
/// tokenizer (one token a digit) about four tokens a step and would push 4-step solutions past ~60 tokens. Six templates (shopping, change, travel, sharing, rates,
/// savings), 2–4 steps of +, −, ×, ÷ with integer results, operands of one or two digits (smaller than the pretraining arithmetic's up-to-4-digit ones), names and items from small lists.
/// <para>Drawn from one <see cref="Random"/> seeded with <see cref="TaskSeed"/> (never the cell seed: every cell sees the
/// same problems), templates in turn. A problem's identity is its template and numbers (names and items excluded), and no
/// identity appears twice, so test problems share templates with training but never their arithmetic. The test split
/// is drawn first, so changing <see cref="TrainCount"/> leaves it unchanged. The pretraining corpus
/// (<c>ArithmeticCorpus</c>) holds bare equalities with spaces around operators and no word problems; the
/// <c>&lt;&lt;a*b=c&gt;&gt;c</c> form here is new to the tiny decoder, which is the point of fine-tuning.</para>
/// </summary>
public static class WordProblemGenerator
{
    public const int TaskSeed = 8_008;
    public const int TrainCount = 2_000;
    public const int TestCount = 300;
    public const int TemplateCount = 6;

    private static readonly (string Name, string He, string His)[] People =
    [
        ("Ann", "she", "her"), ("Ben", "he", "his"), ("Cara", "she", "her"), ("Dan", "he", "his"), ("Eva", "she", "her"),
        ("Finn", "he", "his"), ("Gina", "she", "her"), ("Hugo", "he", "his"), ("Ivy", "she", "her"), ("Jack", "he", "his"),
    ];
    private static readonly string[] Items = ["pens", "apples", "cards", "stickers", "cookies", "marbles", "books", "eggs"];
    private static readonly string[] Vehicles = ["bike", "boat", "cart", "horse", "robot"];
    private static readonly string[] Things = ["game", "ball", "kite", "hat", "lamp"];

    public static MathSplits Generate() => Generate(TaskSeed, TrainCount, TestCount);

    public static MathSplits Generate(int seed, int trainCount, int testCount)
    {
        var rng = new Random(seed);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var all = new List<GenerationExample>(trainCount + testCount);
        for (int attempt = 0; all.Count < trainCount + testCount; attempt++)
        {
            if (attempt > 100 * (trainCount + testCount)) throw new InvalidOperationException("the templates ran out of distinct problems.");
            var (identity, example) = Draw(rng, attempt % TemplateCount);
            if (seen.Add(identity)) all.Add(example);
        }
        return new MathSplits(all.Skip(testCount).ToList(), all.Take(testCount).ToList());
    }

    private static (string Identity, GenerationExample Example) Draw(Random rng, int template)
    {
        var p = People[rng.Next(People.Length)];
        var item = Items[rng.Next(Items.Length)];
        var w = new Working();
        string problem;
        switch (template)
        {
            case 0: // shopping: packs, gives some away, buys more
            {
                int a = rng.Next(2, 7), b = rng.Next(2, 10), c = rng.Next(1, Math.Min(10, a * b)), d = rng.Next(2, 10);
                problem = $"{p.Name} buys {a} packs of {item} with {b} {item} in each pack. {Cap(p.He)} gives away {c} {item} and then buys {d} more. How many {item} does {p.Name} have now?";
                var n = w.Step($"{p.Name} buys {{0}} {item}.", a, '*', b);
                n = w.Step($"Then {p.He} has {{0}}.", n, '-', c);
                w.Step($"Now {p.He} has {{0}}.", n, '+', d);
                return (Id(template, a, b, c, d), w.Example(problem));
            }
            case 1: // change from a bill
            {
                var other = Items[(Array.IndexOf(Items, item) + 1 + rng.Next(Items.Length - 1)) % Items.Length];
                int a = rng.Next(2, 6), price = rng.Next(2, 10), b = rng.Next(2, 5), price2 = rng.Next(1, 10);
                int total = a * price + b * price2, bill = total < 20 ? 20 : total < 50 ? 50 : 100;
                problem = $"{p.Name} buys {a} {item} at ${price} each and {b} {other} at ${price2} each. {Cap(p.He)} pays with a ${bill} bill. How many dollars of change does {p.He} get?";
                var x = w.Step($"The {item} cost ${{0}}.", a, '*', price);
                var y = w.Step($"The {other} cost ${{0}}.", b, '*', price2);
                var z = w.Step("In all ${0}.", x, '+', y);
                w.Step("The change is ${0}.", bill, '-', z);
                return (Id(template, a, price, b, price2), w.Example(problem));
            }
            case 2: // travel at two speeds, optionally what is left of a trip
            {
                var vehicle = Vehicles[rng.Next(Vehicles.Length)];
                int s = rng.Next(3, 10), h = rng.Next(2, 6), s2 = rng.Next(3, 10), h2 = rng.Next(2, 6);
                bool left = rng.Next(2) == 0;
                int trip = left ? 10 * ((s * h + s2 * h2) / 10 + 1 + rng.Next(3)) : 0;
                problem = $"A {vehicle} goes {s} miles per hour for {h} hours, then {s2} miles per hour for {h2} hours. "
                    + (left ? $"The trip is {trip} miles long. How many miles are left?" : "How many miles does it go in all?");
                var x = w.Step("It goes {0} miles.", s, '*', h);
                var y = w.Step("Then {0} miles.", s2, '*', h2);
                var z = w.Step("In all {0} miles.", x, '+', y);
                if (left) w.Step("So {0} are left.", trip, '-', z);
                return (Id(template, s, h, s2, h2, trip), w.Example(problem));
            }
            case 3: // sharing equally, optionally after keeping some
            {
                int a = rng.Next(2, 7), b = rng.Next(2, 10), t = a * b;
                int k = rng.Next(2, Math.Min(7, t)); // k < t, so some 1 ≤ c ≤ k leaves a positive multiple of k
                bool keep = t % k != 0 || rng.Next(2) == 0;
                int c = 0;
                if (keep)
                {
                    // the kept amount makes the rest divisible: t - c = k·e with 1 ≤ c ≤ 9 and e ≥ 1
                    var options = Enumerable.Range(1, 9).Where(x => x < t && (t - x) % k == 0).ToArray();
                    c = options[rng.Next(options.Length)];
                }
                problem = $"{p.Name} has {a} boxes of {item} with {b} {item} in each box. "
                    + (keep ? $"{Cap(p.He)} keeps {c} and shares the rest equally among {k} friends." : $"{Cap(p.He)} shares them equally among {k} friends.")
                    + $" How many {item} does each friend get?";
                var n = w.Step($"{p.Name} has {{0}} {item}.", a, '*', b);
                if (keep) n = w.Step($"{Cap(p.He)} shares {{0}}.", n, '-', c);
                w.Step("Each friend gets {0}.", n, '/', k);
                return (Id(template, a, b, k, c), w.Example(problem));
            }
            case 4: // a rate over two periods, packed into boxes
            {
                int box = rng.Next(2, 6), rate = box * rng.Next(1, 6), h = rng.Next(1, 7), h2 = rng.Next(1, 7);
                problem = $"A machine makes {rate} {item} an hour. It runs {h} hours in the morning and {h2} hours in the afternoon. The {item} go in boxes of {box}. How many boxes are filled?";
                var hours = w.Step("It runs {0} hours.", h, '+', h2);
                var made = w.Step("It makes {0}.", rate, '*', hours);
                w.Step("That fills {0} boxes.", made, '/', box);
                return (Id(template, box, rate, h, h2), w.Example(problem));
            }
            default: // savings: earn, spend, save half of the rest
            {
                var thing = Things[rng.Next(Things.Length)];
                int pay = rng.Next(3, 16), weeks = rng.Next(2, 8), earned = pay * weeks;
                var spends = Enumerable.Range(1, Math.Min(20, earned - 2)).Where(x => (earned - x) % 2 == 0).ToArray();
                int spent = spends[rng.Next(spends.Length)];
                problem = $"{p.Name} earns ${pay} a week for {weeks} weeks. {Cap(p.He)} spends ${spent} on a {thing} and saves half of the rest. How many dollars does {p.He} save?";
                var e = w.Step($"{p.Name} earns ${{0}}.", pay, '*', weeks);
                var r = w.Step($"Then {p.He} has ${{0}}.", e, '-', spent);
                w.Step($"{Cap(p.He)} saves ${{0}}.", r, '/', 2);
                return (Id(template, pay, weeks, spent), w.Example(problem));
            }
        }
    }

    private static string Id(int template, params int[] numbers) => $"{template}:{string.Join(",", numbers)}";

    private static string Cap(string word) => char.ToUpperInvariant(word[0]) + word[1..];

    /// <summary>The worked solution being written: one sentence per step, the last result the answer.</summary>
    private sealed class Working
    {
        private readonly List<string> lines = [];
        private long last;

        /// <summary>Computes <c>a op b</c>, writes <paramref name="sentence"/> with <c>&lt;&lt;a op b=r&gt;&gt;r</c> in place of {0}, returns r.</summary>
        public int Step(string sentence, long a, char op, long b)
        {
            long r = op switch
            {
                '+' => a + b,
                '-' => a - b,
                '*' => a * b,
                '/' when b != 0 && a % b == 0 => a / b,
                _ => throw new InvalidOperationException($"{a} {op} {b} has no integer result."),
            };
            if (r < 0) throw new InvalidOperationException($"{a} {op} {b} is negative; the templates keep every quantity positive.");
            lines.Add(string.Format(CultureInfo.InvariantCulture, sentence, string.Create(CultureInfo.InvariantCulture, $"<<{a}{op}{b}={r}>>{r}")));
            last = r;
            return (int)r;
        }

        public GenerationExample Example(string problem)
        {
            var answer = last.ToString(CultureInfo.InvariantCulture);
            return new GenerationExample(problem, string.Join("\n", lines) + $"\n{MathAnswers.FinalAnswerMarker} {answer}", answer);
        }
    }
}
