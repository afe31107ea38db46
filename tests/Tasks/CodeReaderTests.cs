using NUnit.Framework;
using PeftBench.Tasks.Code;

namespace PeftBench.Tests.Tasks;

/// <summary>The MBPP and HumanEval JSONL readers on tests/fixtures/code and their errors.</summary>
public sealed class CodeReaderTests
{
    private static string Fixture(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "code", name);

    [Test]
    public void ReadsMbppRows()
    {
        var rows = CodeJsonl.ReadMbpp(Fixture("mbpp.jsonl"));
        Assert.That(rows.Select(r => r.TaskId), Is.EqualTo(new[] { "2", "3", "901" }));
        Assert.That(rows[1].TestList, Has.Count.EqualTo(3));
        Assert.That(rows[1].TestList[0], Is.EqualTo("assert is_not_prime(2) == False"));
        Assert.That(rows[2].TestSetupCode, Is.EqualTo("OFFSET = 10"));
        Assert.That(rows[2].ChallengeTestList, Is.EqualTo(new[] { "assert add_offset(10**6) == 1000010" }));
        Assert.That(rows[2].Program("def add_offset(n):\n    return n + OFFSET"),
            Is.EqualTo("OFFSET = 10\ndef add_offset(n):\n    return n + OFFSET\nassert add_offset(1) == 11\nassert add_offset(-10) == 0\n"),
            "setup, candidate, then test_list; challenge tests are not part of MBPP's evaluation");
    }

    [Test]
    public void ReadsHumanEvalRowsAndBuildsTheProgramAsHumanEvalDoes()
    {
        var rows = CodeJsonl.ReadHumanEval(Fixture("humaneval.jsonl"));
        Assert.That(rows.Select(r => r.TaskId), Is.EqualTo(new[] { "HumanEval/0", "HumanEval/2" }));
        var truncate = rows[1];
        Assert.That(truncate.EntryPoint, Is.EqualTo("truncate_number"));
        string program = truncate.Program(truncate.CanonicalSolution);
        Assert.That(program, Does.StartWith(truncate.Prompt + truncate.CanonicalSolution + "\n" + truncate.Test));
        Assert.That(program, Does.EndWith("\ncheck(truncate_number)\n"));
    }

    [Test]
    public void ErrorsNameFileLineFieldAndFix()
    {
        string missing = Fixture("mbpp-missing-field.jsonl");
        Assert.That(() => CodeJsonl.ReadMbpp(missing), Throws.TypeOf<InvalidDataException>()
            .With.Message.Contains(missing).And.Message.Contains("line 2").And.Message.Contains("'test_list'").And.Message.Contains("add it"));

        string dir = Directory.CreateTempSubdirectory("code-readers-").FullName;
        try
        {
            string bad = Path.Combine(dir, "bad.jsonl");
            File.WriteAllText(bad, "{\"task_id\": \"HumanEval/0\", \"prompt\": \"\", \"test\": \"\", \"entry_point\": \"f\"}\n{not json\n");
            Assert.That(() => CodeJsonl.ReadHumanEval(bad), Throws.TypeOf<InvalidDataException>()
                .With.Message.Contains("line 2").And.Message.Contains("not valid JSON"));
            File.WriteAllText(bad, "{\"task_id\": 1, \"text\": 5, \"code\": \"\", \"test_list\": []}\n");
            Assert.That(() => CodeJsonl.ReadMbpp(bad), Throws.TypeOf<InvalidDataException>()
                .With.Message.Contains("'text' must be a string"));
            File.WriteAllText(bad, "{\"task_id\": 1, \"text\": \"\", \"code\": \"\", \"test_list\": []}\n{\"task_id\": 1, \"text\": \"\", \"code\": \"\", \"test_list\": []}\n");
            Assert.That(() => CodeJsonl.ReadMbpp(bad), Throws.TypeOf<InvalidDataException>().With.Message.Contains("appears twice"));
            File.WriteAllText(bad, "\n");
            Assert.That(() => CodeJsonl.ReadMbpp(bad), Throws.TypeOf<InvalidDataException>().With.Message.Contains("no MBPP problems"));
            Assert.That(() => CodeJsonl.ReadHumanEval(Path.Combine(dir, "absent.jsonl")), Throws.TypeOf<FileNotFoundException>()
                .With.Message.Contains("HumanEval"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
