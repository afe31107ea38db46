using NUnit.Framework;
using PeftBench.Tasks.MathProblems;

namespace PeftBench.Tests.Tasks;

/// <summary>Answer extraction and normalisation on tricky strings; every expectation is worked out by hand.</summary>
public class MathAnswerTests
{
    [TestCase("#### 72", 72)]
    [TestCase("Natalia sold 48+24 = <<48+24=72>>72 clips.\n#### 72", 72)]
    [TestCase("#### 1,234", 1234)]                                  // thousands comma
    [TestCase("so the total is 1,234,567 dollars.", 1234567)]
    [TestCase("The answer is $12.50.", 12.5)]                       // currency and trailing period
    [TestCase("He earns 12 dollars", 12)]                           // unit word
    [TestCase("A rise of 30%", 30)]                                 // percent sign dropped
    [TestCase("The answer is +7", 7)]                               // leading plus
    [TestCase("It is -3 degrees", -3)]
    [TestCase("It is −4 now", -4)]                                  // Unicode minus
    [TestCase("#### -$5", -5)]
    [TestCase("5-3=2", 2)]                                          // minus after a digit is an operator: 5, 3, 2
    [TestCase("x-5", 5)]                                            // ... and after a letter too
    [TestCase("She ate 3/4 of the cake", 0.75)]                     // simple fraction
    [TestCase("Add 1 1/2 cups", 1.5)]                               // mixed number
    [TestCase("about 1.2e3 grams", 1200)]                           // scientific notation
    [TestCase("Total: 12.500", 12.5)]
    [TestCase("only .5 of them", 0.5)]
    [TestCase("Step 2 of 3: 5+4=<<5+4=9>>9\n#### 9", 9)]            // distractors before the marker are ignored
    [TestCase("version 2 of 3", 3)]                                 // no marker: the last number, even a distractor
    [TestCase("x=4, y=5", 5)]
    [TestCase("my mp3 player costs 40", 40)]                        // digits inside a word are not a number
    [TestCase("#### 8\nThen again\n#### 10", 10)]                   // the last marker wins
    [TestCase("#### 7 apples and 3 pears", 7)]                      // the first number after the marker
    [TestCase("####72", 72)]
    public void ExtractNumber_finds_the_answer(string text, double expected) =>
        Assert.That(MathAnswers.ExtractNumber(text), Is.EqualTo(expected).Within(1e-12));

    [TestCase(null)]
    [TestCase("")]
    [TestCase("   \n ")]
    [TestCase("no numbers here")]
    [TestCase("####")]                                              // marker with nothing after it
    [TestCase("The total is 5.\n#### ")]                            // a number before an empty marker does not count
    [TestCase("#### none")]
    [TestCase("the mp3 and the v2")]                               // only digits inside words
    public void ExtractNumber_gives_no_answer(string? text) =>
        Assert.That(MathAnswers.ExtractNumber(text), Is.Null);

    [TestCase("1,234", 1234)]
    [TestCase("3/4", 0.75)]
    [TestCase("$12.50", 12.5)]
    [TestCase("30%", 30)]
    [TestCase(" 12 dollars ", 12)]
    [TestCase("-0.5", -0.5)]
    [TestCase("43.0", 43)]
    public void ParseNumber_reads_one_number(string text, double expected) =>
        Assert.That(MathAnswers.ParseNumber(text), Is.EqualTo(expected).Within(1e-12));

    [TestCase("X=(70.0-27.0)")]
    [TestCase("1 and 2")]
    [TestCase("abc")]
    [TestCase("")]
    public void ParseNumber_rejects_anything_but_one_number(string text) =>
        Assert.That(MathAnswers.ParseNumber(text), Is.Null);

    [TestCase("#### 12.50", "12.5", true)]
    [TestCase("#### 12.500", "12.5", true)]
    [TestCase("#### 12.5", "12.50", true)]
    [TestCase("She ate 3/4 of it", "0.75", true)]
    [TestCase("#### 0.7500001", "0.75", true)]                      // within 1e-6 relative
    [TestCase("#### 0.751", "0.75", false)]
    [TestCase("#### 1000001", "1000000", true)]                    // 1 in 1e6: relative tolerance
    [TestCase("#### 1000002", "1000000", false)]
    [TestCase("#### 1,234", "1234", true)]
    [TestCase("#### 73", "72", false)]
    [TestCase("#### -72", "72", false)]
    [TestCase("", "72", false)]
    [TestCase("####", "0", false)]                                  // no answer is never right, not even for 0
    public void Numbers_match_after_normalisation(string generated, string gold, bool correct) =>
        Assert.That(MathAnswers.IsCorrect(generated, gold, MathAnswerKind.Number), Is.EqualTo(correct));

    [TestCase("(C)", 'C')]
    [TestCase("Answer: C", 'C')]
    [TestCase("the answer is c)", 'C')]
    [TestCase("ANSWER:B", 'B')]
    [TestCase("Answer: option D", 'D')]
    [TestCase("The answer is (b) 21", 'B')]
    [TestCase("so the answer is e", 'E')]                           // a lower-case letter ending the text
    [TestCase("#### e", 'E')]
    [TestCase("x = 7, so 2x = 14.\n#### D", 'D')]
    [TestCase("c", 'C')]
    [TestCase("C.", 'C')]
    [TestCase("Between (A) and (B), the answer is D", 'D')]        // "answer is" beats bracketed mentions
    [TestCase("Options A)21 B)22; I pick B)", 'B')]                 // the last bracketed letter
    public void ExtractOptionLetter_finds_the_choice(string text, char expected) =>
        Assert.That(MathAnswers.ExtractOptionLetter(text), Is.EqualTo(expected));

    [TestCase(null)]
    [TestCase("")]
    [TestCase("a train goes fast")]                                 // the article is not option A
    [TestCase("the answer is a bit unclear")]
    [TestCase("The answer is 5")]
    [TestCase("####")]
    [TestCase("#### F")]                                            // AQuA has options A–E only
    public void ExtractOptionLetter_gives_no_answer(string? text) =>
        Assert.That(MathAnswers.ExtractOptionLetter(text), Is.Null);

    [TestCase(72.0, "72")]
    [TestCase(1.0, "1")]
    [TestCase(-3.0, "-3")]
    [TestCase(12.5, "12.5")]
    [TestCase(0.9166666666666666, "0.9166666666666666")]
    public void Format_writes_canonical_numbers(double value, string expected) =>
        Assert.That(MathAnswers.Format(value), Is.EqualTo(expected));

    [Test]
    public void Calculator_annotations_are_stripped()
    {
        Assert.That(MathAnswers.StripCalculatorAnnotations("Natalia sold 48/2 = <<48/2=24>>24 clips."), Is.EqualTo("Natalia sold 48/2 = 24 clips."));
        Assert.That(MathAnswers.StripCalculatorAnnotations("$<<12/60=0.2>>0.2 and <<0.2*50=10>>10"), Is.EqualTo("$0.2 and 10"));
    }

    [Test]
    public void Exact_match_accuracy_counts_correct_answers()
    {
        // right, wrong, right (comma), no answer → 2 / 4
        var numeric = new[] { ("#### 72", "72"), ("#### 71", "72"), ("I think 1,234", "1234"), ("", "5") };
        Assert.That(MathExactMatch.Accuracy(numeric, MathAnswerKind.Number), Is.EqualTo(0.5));
        // right, right (lower case), wrong → 2 / 3
        var letters = new[] { ("(C)", "C"), ("Answer: b", "B"), ("the answer is D", "E") };
        Assert.That(MathExactMatch.Accuracy(letters, MathAnswerKind.OptionLetter), Is.EqualTo(2.0 / 3).Within(1e-12));
        Assert.That(MathExactMatch.Accuracy(Array.Empty<(string, string)>(), MathAnswerKind.Number), Is.EqualTo(0));
    }

    [Test]
    public void Exact_match_accuracy_over_examples_checks_the_count()
    {
        var examples = new[] { new GenerationExample("p", "t\n#### 3", "3"), new GenerationExample("q", "u\n#### 4", "4") };
        Assert.That(MathExactMatch.Accuracy(["#### 3", "#### 5"], examples, MathAnswerKind.Number), Is.EqualTo(0.5));
        Assert.Throws<ArgumentException>(() => MathExactMatch.Accuracy(["#### 3"], examples, MathAnswerKind.Number));
        Assert.Throws<ArgumentException>(() => MathAnswers.IsCorrect("#### 3", "three", MathAnswerKind.Number));
    }
}
