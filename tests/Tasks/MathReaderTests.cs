using NUnit.Framework;
using PeftBench.Tasks.MathProblems;

namespace PeftBench.Tests.Tasks;

/// <summary>The math readers on hand-written files in each dataset's distributed format (tests/fixtures/math).</summary>
public class MathReaderTests
{
    private static string Fixture(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "math", name);

    [Test]
    public void Gsm8k_reads_questions_worked_solutions_and_final_answers()
    {
        var rows = Gsm8kReader.Read(Fixture("gsm8k.jsonl"));
        Assert.That(rows.Select(r => r.Answer), Is.EqualTo(new[] { "72", "2434", "10", "-3" }));   // "#### 2,434" → 2434; blank line skipped
        Assert.That(rows[0].Prompt, Does.StartWith("Natalia sold clips to 48 of her friends"));
        Assert.That(rows[0].Target, Is.EqualTo("Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72"));
        var stripped = Gsm8kReader.Read(Fixture("gsm8k.jsonl"), stripCalculatorAnnotations: true);
        Assert.That(stripped[0].Target, Is.EqualTo("Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether in April and May.\n#### 72"));
        Assert.That(stripped[2].Target, Does.Contain("12/60 = $0.2 per minute"));
    }

    [Test]
    public void Svamp_joins_body_and_question()
    {
        var rows = SvampReader.Read(Fixture("svamp.json"));
        Assert.That(rows.Select(r => r.Answer), Is.EqualTo(new[] { "51", "1", "17" }));
        Assert.That(rows[1].Prompt, Is.EqualTo("Dan had $ 3 left with him after he bought a candy bar. If he had $ 4 at the start How much did the candy bar cost?"));
        Assert.That(rows[1].Target, Is.EqualTo("( 4.0 - 3.0 ) = 1\n#### 1"));
    }

    [Test]
    public void Mawps_reads_both_common_distributions()
    {
        var roy = MawpsReader.Read(Fixture("mawps.json"));
        Assert.That(roy.Select(r => r.Answer), Is.EqualTo(new[] { "43", "26", "0.9166666666666666" }));
        Assert.That(roy[0].Target, Is.EqualTo("X=(70.0-27.0)\n#### 43"));
        Assert.That(roy[0].Prompt, Does.StartWith("Joan found 70.0 seashells"));
        var toolkit = MawpsReader.Read(Fixture("mawps-mwptoolkit.json"));
        Assert.That(toolkit.Select(r => r.Answer), Is.EqualTo(new[] { "2", "16" }));             // ans 2.0 and "16.0"
        Assert.That(toolkit[0].Target, Is.EqualTo("X=((22.0-14.0)/4.0)\n#### 2"));
    }

    [Test]
    public void AquaRat_reads_options_rationale_and_letter()
    {
        var rows = AquaRatReader.Read(Fixture("aqua.json"));
        Assert.That(rows.Select(r => r.Answer), Is.EqualTo(new[] { "B", "D", "C" }));            // "c" upper-cased
        Assert.That(rows[0].Prompt, Is.EqualTo("A car travels 60 km in 1.5 hours. What is its average speed in km/h?\nA)30 B)40 C)45 D)50 E)90"));
        Assert.That(rows[0].Target, Is.EqualTo("Speed = distance / time = 60 / 1.5 = 40 km/h.\nANSWER:B\n#### B"));
    }

    [Test]
    public void Every_fixture_target_answers_itself()
    {
        var numeric = Gsm8kReader.Read(Fixture("gsm8k.jsonl")).Concat(SvampReader.Read(Fixture("svamp.json")))
            .Concat(MawpsReader.Read(Fixture("mawps.json"))).Concat(MawpsReader.Read(Fixture("mawps-mwptoolkit.json")));
        foreach (var e in numeric) Assert.That(MathAnswers.IsCorrect(e.Target, e.Answer, MathAnswerKind.Number), e.Target);
        foreach (var e in AquaRatReader.Read(Fixture("aqua.json"))) Assert.That(MathAnswers.IsCorrect(e.Target, e.Answer, MathAnswerKind.OptionLetter), e.Target);
    }

    [Test]
    public void Errors_name_the_file_line_field_and_fix()
    {
        var missing = Assert.Throws<InvalidDataException>(() => Gsm8kReader.Read(Fixture("bad/gsm8k-missing-answer.jsonl")))!.Message;
        Assert.That(missing, Does.Contain("gsm8k-missing-answer.jsonl: line 2").And.Contain("'answer' is missing").And.Contain("check that the file is GSM8K"));
        var noMarker = Assert.Throws<InvalidDataException>(() => Gsm8kReader.Read(Fixture("bad/gsm8k-no-marker.jsonl")))!.Message;
        Assert.That(noMarker, Does.Contain("line 1").And.Contain("'#### N'"));
        // the second object of the array opens on line 9
        var svamp = Assert.Throws<InvalidDataException>(() => SvampReader.Read(Fixture("bad/svamp-missing-question.json")))!.Message;
        Assert.That(svamp, Does.Contain("svamp-missing-question.json: line 9").And.Contain("'Question' is missing"));
        var aqua = Assert.Throws<InvalidDataException>(() => AquaRatReader.Read(Fixture("bad/aqua-bad-letter.jsonl")))!.Message;
        Assert.That(aqua, Does.Contain("line 1").And.Contain("'correct' is \"F\"").And.Contain("A–B"));
        // a GSM8K file given to the SVAMP reader says which fields it expected
        var wrong = Assert.Throws<InvalidDataException>(() => SvampReader.Read(Fixture("gsm8k.jsonl")))!.Message;
        Assert.That(wrong, Does.Contain("line 1").And.Contain("'Body' is missing").And.Contain("SVAMP.json"));
        Assert.Throws<FileNotFoundException>(() => MawpsReader.Read(Fixture("no-such-file.json")));
    }
}
