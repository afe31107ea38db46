using System.Text.RegularExpressions;
using NUnit.Framework;
using PeftBench.Core.Models;
using PeftBench.Core.Tokenization;
using PeftBench.Tasks.MathProblems;

namespace PeftBench.Tests.Tasks;

/// <summary>The embedded math word problems: deterministic, arithmetically right, split cleanly, short enough for tiny-llama.</summary>
public class MathGeneratorTests
{
    private static readonly MathSplits Splits = WordProblemGenerator.Generate();
    private static IEnumerable<GenerationExample> All => Splits.Train.Concat(Splits.Test);

    // <<a*b=c>>c : the annotation's expression and result, and the written result
    private static readonly Regex Annotated = new(@"<<(?<a>\d+)(?<op>[-+*/])(?<b>\d+)=(?<r>-?\d+)>>(?<written>\d+)");

    [Test]
    public void Generation_is_deterministic_and_sized()
    {
        foreach (var e in Splits.Test.Take(WordProblemGenerator.TemplateCount + 1)) TestContext.Out.WriteLine($"{e.Prompt}\n{e.Target}\n");
        var again = WordProblemGenerator.Generate();
        Assert.That(again.Train, Is.EqualTo(Splits.Train));
        Assert.That(again.Test, Is.EqualTo(Splits.Test));
        Assert.That(Splits.Train, Has.Count.EqualTo(WordProblemGenerator.TrainCount));
        Assert.That(Splits.Test, Has.Count.EqualTo(WordProblemGenerator.TestCount));
        // the test split is drawn first, so a smaller training split leaves it unchanged
        var smaller = WordProblemGenerator.Generate(WordProblemGenerator.TaskSeed, 100, WordProblemGenerator.TestCount);
        Assert.That(smaller.Test, Is.EqualTo(Splits.Test));
    }

    [Test]
    public void Every_step_and_final_answer_is_right()
    {
        foreach (var e in All)
        {
            var lines = e.Target.Split('\n');
            Assert.That(lines[^1], Is.EqualTo($"#### {e.Answer}"), e.Target);
            var steps = lines[..^1];
            Assert.That(steps.Length, Is.InRange(2, 4), e.Target);
            long last = 0;
            foreach (var line in steps)
            {
                var matches = Annotated.Matches(line);
                Assert.That(matches, Has.Count.EqualTo(1), line);
                var m = matches[0];
                long a = long.Parse(m.Groups["a"].Value), b = long.Parse(m.Groups["b"].Value), r = long.Parse(m.Groups["r"].Value);
                long expected = m.Groups["op"].Value switch { "+" => a + b, "-" => a - b, "*" => a * b, _ => a / b };
                if (m.Groups["op"].Value == "/") Assert.That(a % b, Is.Zero, line);
                Assert.That(r, Is.EqualTo(expected), line);
                Assert.That(m.Groups["written"].Value, Is.EqualTo(m.Groups["r"].Value), line);
                Assert.That(r, Is.GreaterThan(0), line);
                last = r;
            }
            Assert.That(e.Answer, Is.EqualTo(last.ToString()), e.Target);
            Assert.That(MathAnswers.IsCorrect(e.Target, e.Answer, MathAnswerKind.Number), e.Target);
            Assert.That(MathAnswers.ExtractNumber(e.Target), Is.EqualTo((double)last));
        }
    }

    [Test]
    public void Train_and_test_share_templates_but_no_problem()
    {
        var prompts = All.Select(e => e.Prompt).ToList();
        Assert.That(prompts.Distinct().Count(), Is.EqualTo(prompts.Count));
        // no test problem is a training problem with other names or items: compare the numbers in order
        static string Numbers(GenerationExample e) => string.Join(",", Regex.Matches(e.Prompt, @"\d+").Select(m => m.Value));
        var trainNumbers = Splits.Train.Select(e => (Question(e), Numbers(e))).ToHashSet();
        Assert.That(Splits.Test.Where(e => trainNumbers.Contains((Question(e), Numbers(e)))), Is.Empty);
        // every template's last sentence appears in both splits
        var questionsTrain = Splits.Train.Select(Question).ToHashSet();
        var questionsTest = Splits.Test.Select(Question).ToHashSet();
        Assert.That(questionsTest.Count, Is.GreaterThanOrEqualTo(WordProblemGenerator.TemplateCount));
        Assert.That(questionsTest, Is.SubsetOf(questionsTrain));
    }

    // the template's question sentence with names, pronouns, items and numbers masked
    private static string Question(GenerationExample e) =>
        Regex.Replace(e.Prompt[(e.Prompt.LastIndexOf(". ", StringComparison.Ordinal) + 2)..], @"^How many \w+|\b(he|she)\b|\d+|\b[A-Z][a-z]+\b", "_");

    [Test]
    public void Problems_and_solutions_fit_tiny_llama()
    {
        var tokenizer = DecoderTokenizers.FromFolder(new ModelZoo().Shipped.Get("tiny-llama").Folder);
        var promptTokens = All.Select(e => tokenizer.Encode(e.Prompt, addSpecialTokens: false).Count).ToList();
        var targetTokens = All.Select(e => tokenizer.Encode(e.Target, addSpecialTokens: false).Count).ToList();
        var strippedTokens = All.Select(e => tokenizer.Encode(MathAnswers.StripCalculatorAnnotations(e.Target), addSpecialTokens: false).Count).ToList();
        TestContext.Out.WriteLine($"prompt tokens mean {promptTokens.Average():F1} max {promptTokens.Max()}; target mean {targetTokens.Average():F1} max {targetTokens.Max()}; "
            + $"without annotations mean {strippedTokens.Average():F1} max {strippedTokens.Max()}");
        // the tokenizer spends a token on every digit and on each of < < = > >, so an annotation costs ~6 tokens a step:
        // 3-step solutions stay near 60 tokens, 4-step ones reach ~85; stripped of annotations all fit in 64
        Assert.That(promptTokens.Max(), Is.LessThanOrEqualTo(64));
        Assert.That(targetTokens.Max(), Is.LessThanOrEqualTo(90));
        Assert.That(strippedTokens.Max(), Is.LessThanOrEqualTo(64));
        Assert.That(promptTokens.Max() + targetTokens.Max() + 2, Is.LessThan(256), "prompt, target, bos and eos fit tiny-llama's 256 positions");
        // the tokenizer round-trips the annotations and the marker
        var sample = Splits.Test[0].Target;
        Assert.That(tokenizer.Decode(tokenizer.Encode(sample, addSpecialTokens: false)), Is.EqualTo(sample));
    }
}
