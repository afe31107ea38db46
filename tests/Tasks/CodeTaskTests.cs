using System.Diagnostics;
using System.Text.Json;
using NUnit.Framework;
using PeftBench.Core.Models;
using PeftBench.Core.Tasks;
using PeftBench.Core.Tokenization;
using PeftBench.Tasks;
using PeftBench.Tasks.Code;
using PeftBench.Tasks.Code.Mini;
using PeftBench.Tasks.Code.Tasks;

namespace PeftBench.Tests.Tasks;

/// <summary>
/// The code generation tasks: declarations (Chen et al.'s sampling protocol), the code/mini judge on every embedded
/// problem's gold response and on wrong ones (a looping program fails without hanging), lengths in tiny-llama tokens,
/// and MBPP / HumanEval on fixture files written here in the released formats, with their up-front errors
/// (python3 absent included). Running Python samples is skipped only where no python3 runs.
/// </summary>
public class CodeTaskTests
{
    private static TaskSpec Task(string id) => TaskCatalog.Create().Get(id);

    private static int Judge(TaskSpec task, PromptExample example, params string[] continuations) => task.Generation!.Judge(example, continuations);

    private static TaskData Mini() => Task(MiniCode.Id).Data.Load(new DataOptions(null));

    private static IEnumerable<MiniPromptExample> AllMini(TaskData data) => data.TrainAs<MiniPromptExample>().Concat(data.EvaluationAs<MiniPromptExample>("test"));

    [Test]
    public void Code_tasks_sample_ten_times_and_report_pass_at_1_and_10()
    {
        foreach (var id in new[] { MiniCode.Id, Mbpp.Id, HumanEval.Id })
        {
            var task = Task(id);
            var generation = task.Generation!;
            Assert.That((task.Modality, task.Head), Is.EqualTo((Modality.Text, HeadSpec.LanguageModel())), id);
            Assert.That((generation.Samples, generation.Temperature, generation.TopP), Is.EqualTo((10, 0.8, 0.95)), id);
            Assert.That(generation.Validate(), Is.Empty, id);
            Assert.That(task.Metrics.Select(m => (m.Name, m.Split)), Is.EqualTo(new[] { ("pass@1", "test"), ("pass@10", "test") }), id);
        }
        Assert.That(Task(MiniCode.Id).Generation!.StopSequences, Is.EqualTo(new[] { "\n# task:" }));
        Assert.That(Task(HumanEval.Id).Generation!.StopSequences, Is.EqualTo(new[] { "\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#" }));
        Assert.That(Suites.TaskIds("code"), Is.EqualTo(new[] { MiniCode.Id }));
        Assert.That(Suites.TaskIds("code-python"), Is.EqualTo(new[] { Mbpp.Id, HumanEval.Id }));
        Assert.That(Suites.Find("code-python")!.DefaultModels, Is.EqualTo(new[] { "tiny-llama" }));
        Assert.That(Suites.Find("code")!.DefaultMethods, Is.EqualTo(Suites.GenerationMethods));
    }

    [Test]
    public void Every_mini_problem_is_judged_correct_on_its_gold_response()
    {
        var task = Task(MiniCode.Id);
        var data = Mini();
        Assert.That(data.Train.Count + data.Evaluation["test"].Count, Is.EqualTo(MiniTasks.All().Count));
        foreach (var example in AllMini(data))
        {
            Assert.That(example.Prompt, Is.EqualTo($"# task: {example.Problem.Description}\n# inputs: {string.Join(", ", example.Problem.Parameters)}\n"));
            if (Judge(task, example, example.Response) != 1) Assert.Fail($"{example.Problem.Id}: gold response judged wrong:\n{example.Response}");
            Assert.That(MiniScorer.Score(example.Problem, example.Prompt + example.Response).Outcome, Is.EqualTo(SampleOutcome.Passed), "the prompt's comments are valid program text too");
        }
    }

    [Test]
    public void Wrong_mini_programs_are_rejected_and_a_loop_does_not_hang()
    {
        var task = Task(MiniCode.Id);
        var example = AllMini(Mini()).Single(e => e.Problem.Id == "sum-even");
        var clock = Stopwatch.StartNew();
        Assert.That(Judge(task, example, "while 1 { }"), Is.EqualTo(0), "a loop runs out of its step budget");
        Assert.That(clock.Elapsed.TotalSeconds, Is.LessThan(30));
        Assert.That(Judge(task, example, ""), Is.EqualTo(0), "empty");
        Assert.That(Judge(task, example, "banana }{ return"), Is.EqualTo(0), "garbage");
        Assert.That(Judge(task, example, "s = 0\nfor v in x { s = s + v }\nreturn s"), Is.EqualTo(0), "another problem's program");
        string[] samples = [example.Response, "return 0", example.Response, "while 1 { }", example.Response];
        Assert.That(Judge(task, example, samples), Is.EqualTo(3), "the judge counts passing samples");
        Assert.That(() => Judge(task, new PromptExample("p", "r"), "return 0"), Throws.ArgumentException.With.Message.Contains("MiniPromptExample"));
    }

    [Test]
    public void Mini_tests_tell_programs_apart()
    {
        // A problem whose five tests all expect the same value is passed by "return that value"; MiniTasks redraws such tests.
        var constant = MiniTasks.All().Where(p => p.Tests.Select(t => t.Expected).Distinct().Count() == 1).Select(p => p.Id).ToList();
        TestContext.Out.WriteLine($"problems whose tests expect one value: {string.Join(", ", constant)}");
        Assert.That(constant, Is.Empty);
    }

    [Test]
    public void Mini_splits_are_disjoint_a_quarter_test_and_deterministic()
    {
        var data = Mini();
        var train = data.TrainAs<MiniPromptExample>().Select(e => e.Problem.Id).ToList();
        var test = data.EvaluationAs<MiniPromptExample>("test").Select(e => e.Problem.Id).ToList();
        TestContext.Out.WriteLine($"code/mini: {train.Count + test.Count} problems, {train.Count} train / {test.Count} test");
        Assert.That(train.Count + test.Count, Is.InRange(150, 250));
        Assert.That(train.Concat(test), Is.Unique);
        Assert.That(test.Count, Is.EqualTo((int)Math.Round((train.Count + test.Count) * MiniTasks.TestFraction)));
        Assert.That(Mini().EvaluationAs<MiniPromptExample>("test").Select(e => e.Problem.Id), Is.EqualTo(test));
    }

    [Test]
    public void Mini_problems_fit_tiny_llama_and_max_new_tokens_covers_every_program()
    {
        var tokenizer = DecoderTokenizers.FromFolder(new ModelZoo().Shipped.Get("tiny-llama").Folder);
        var all = AllMini(Mini()).ToList();
        int Tokens(string text) => tokenizer.Encode(text, addSpecialTokens: false).Count;
        var responses = all.Select(e => Tokens(e.Response)).ToList();
        var totals = all.Select(e => Tokens(e.Prompt + e.Response)).ToList();
        var longest = all[totals.IndexOf(totals.Max())];
        TestContext.Out.WriteLine($"code/mini: response tokens max {responses.Max()} mean {responses.Average():F1}; prompt+response max {totals.Max()} ({longest.Problem.Id}) mean {totals.Average():F1}; MaxNewTokens {MiniCode.MaxNewTokens}");
        Assert.That(totals.Max(), Is.LessThanOrEqualTo(128), "prompt + program stay short for a tiny decoder");
        Assert.That(MiniCode.MaxNewTokens, Is.GreaterThanOrEqualTo(responses.Max() + 8));
        Assert.That(MiniCode.MaxNewTokens, Is.LessThanOrEqualTo(responses.Max() + 24));
        Assert.That(MiniCode.MaxNewTokens % 8, Is.Zero);
        foreach (var e in all)
            Assert.That(tokenizer.Decode(tokenizer.Encode(e.Prompt + e.Response, addSpecialTokens: false)), Is.EqualTo(e.Prompt + e.Response), e.Problem.Id);
    }

    // ---- MBPP and HumanEval on fixtures written in the released formats ----

    private static string MbppRow(int id, string text, string code, string[] tests) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["task_id"] = id, ["text"] = text, ["code"] = code, ["test_list"] = tests, ["test_setup_code"] = "", ["challenge_test_list"] = Array.Empty<string>(),
        });

    /// <summary>A data folder with mbpp/mbpp.jsonl (one prompt-, two test-, one validation- and two train-range rows) and, when asked, HumanEval.</summary>
    private static string DataDir(bool mbpp = true, bool humanEval = true)
    {
        var dir = Directory.CreateTempSubdirectory("code-data-").FullName;
        if (mbpp)
        {
            Directory.CreateDirectory(Path.Combine(dir, "mbpp"));
            File.WriteAllLines(Path.Combine(dir, "mbpp", "mbpp.jsonl"),
            [
                MbppRow(2, "Write a function to find the shared elements from the given two lists.", "def similar_elements(a, b):\r\n  return tuple(set(a) & set(b))", ["assert set(similar_elements((3, 4), (4, 5))) == {4}"]),
                MbppRow(11, "Write a python function to remove first and last occurrence of a given character from the string.",
                    "def remove_Occ(s,ch): \r\n    for i in range(len(s)): \r\n        if (s[i] == ch): \r\n            s = s[0 : i] + s[i + 1:] \r\n            break\r\n    for i in range(len(s) - 1,-1,-1):  \r\n        if (s[i] == ch): \r\n            s = s[0 : i] + s[i + 1:] \r\n            break\r\n    return s ",
                    ["assert remove_Occ(\"hello\",\"l\") == \"heo\"", "assert remove_Occ(\"abcda\",\"a\") == \"bcd\"", "assert remove_Occ(\"PHP\",\"P\") == \"H\""]),
                MbppRow(12, "Write a function to double a number.", "def double(n):\r\n  return 2 * n", ["assert double(2) == 4", "assert double(0) == 0", "assert double(-3) == -6"]),
                MbppRow(520, "Write a function to add one.", "def add_one(n):\r\n  return n + 1", ["assert add_one(1) == 2"]),
                MbppRow(601, "Write a function to square a number.", "def square(n):\r\n  return n * n", ["assert square(3) == 9", "assert square(0) == 0", "assert square(-2) == 4"]),
                MbppRow(974, "Write a function to negate a number.", "def negate(n):\r\n  return -n", ["assert negate(3) == -3", "assert negate(0) == 0", "assert negate(-2) == 2"]),
            ]);
        }
        if (humanEval)
        {
            Directory.CreateDirectory(Path.Combine(dir, "humaneval"));
            File.Copy(Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "code", "humaneval.jsonl"), Path.Combine(dir, "humaneval", "HumanEval.jsonl"));
        }
        return dir;
    }

    private static readonly PythonScorer Python = PythonScorer.ForTask("code tests");

    private static TaskData LoadData(TaskSpec task, string dataDir)
    {
        var options = new DataOptions(dataDir);
        var problems = task.Data.Check(options).ToList();
        Assert.That(problems.Where(p => !Python.Runnable || !p.Contains("python3")), Is.Empty, task.Data.Describe(options));
        return task.Data.Load(options);
    }

    [Test]
    public void Mbpp_splits_by_task_id_and_prompts_with_the_description_and_asserts()
    {
        var task = Task(Mbpp.Id);
        var data = LoadData(task, DataDir(humanEval: false));
        var train = data.TrainAs<MbppPromptExample>();
        var test = data.EvaluationAs<MbppPromptExample>("test");
        Assert.That(train.Select(e => e.Problem.TaskId), Is.EqualTo(new[] { "601", "974" }));
        Assert.That(test.Select(e => e.Problem.TaskId), Is.EqualTo(new[] { "11", "12" }), "2 (prompt) and 520 (validation) are in neither split");
        Assert.That(test[1].Prompt, Is.EqualTo("\"\"\"\nWrite a function to double a number.\nassert double(2) == 4\nassert double(0) == 0\nassert double(-3) == -6\n\"\"\"\n"));
        Assert.That(test[1].Response, Is.EqualTo("def double(n):\n  return 2 * n\n"), "\\r\\n normalised, one final newline");
        Assert.That(task.Generation!.StopSequences, Does.Contain("\nassert"));
    }

    [Test]
    public void Python_tasks_run_gold_responses_and_reject_wrong_ones()
    {
        Assume.That(Python.Runnable, Python.NotRunnableReason);
        var mbpp = Task(Mbpp.Id);
        var mbppData = LoadData(mbpp, DataDir(humanEval: false));
        foreach (var example in mbppData.TrainAs<MbppPromptExample>().Concat(mbppData.EvaluationAs<MbppPromptExample>("test")))
            Assert.That(Judge(mbpp, example, example.Response), Is.EqualTo(1), example.Problem.TaskId);
        var doubler = mbppData.EvaluationAs<MbppPromptExample>("test")[1];
        Assert.That(Judge(mbpp, doubler, "def double(n):\n  return n + 1\n", "", "def double(n)\n", doubler.Response), Is.EqualTo(1),
            "a wrong answer, an empty sample and a syntax error fail; the gold one passes");

        var humanEval = Task(HumanEval.Id);
        var data = LoadData(humanEval, DataDir());
        Assert.That(data.TrainAs<MbppPromptExample>().Select(e => e.Problem.TaskId), Is.EqualTo(new[] { "601", "974" }), "HumanEval trains on MBPP's train split");
        var test = data.EvaluationAs<HumanEvalPromptExample>("test");
        Assert.That(test.Select(e => e.Problem.TaskId), Is.EqualTo(new[] { "HumanEval/0", "HumanEval/2" }));
        foreach (var example in test)
        {
            Assert.That(example.Prompt, Is.EqualTo(example.Problem.Prompt));
            Assert.That(Judge(humanEval, example, example.Response), Is.EqualTo(1), example.Problem.TaskId);
        }
        Assert.That(Judge(humanEval, test[1], "    return number\n", "    while True:\n        pass\n"), Is.EqualTo(0), "a wrong body and a hang fail");
    }

    [Test]
    public void Python_tasks_say_what_is_missing_before_training()
    {
        foreach (var id in new[] { Mbpp.Id, HumanEval.Id })
            Assert.That(Task(id).Data.Check(new DataOptions(null)), Has.Some.Contains("--data-dir").And.Some.Contains("not embedded"), id);
        var noMbpp = DataDir(mbpp: false);
        Assert.That(Task(Mbpp.Id).Data.Check(new DataOptions(noMbpp)), Has.Some.Contains("mbpp/mbpp.jsonl").And.Some.Contains("does not exist"));
        Assert.That(Task(HumanEval.Id).Data.Check(new DataOptions(noMbpp)), Has.Some.StartsWith("HumanEval trains on MBPP's training split, which is unavailable"));
        Assert.That(() => Task(HumanEval.Id).Data.Load(new DataOptions(noMbpp)), Throws.InvalidOperationException.With.Message.Contains("MBPP"));

        var gz = DataDir(humanEval: false);
        Directory.CreateDirectory(Path.Combine(gz, "humaneval"));
        File.WriteAllBytes(Path.Combine(gz, "humaneval", "HumanEval.jsonl.gz"), [0x1f, 0x8b]);
        Assert.That(Task(HumanEval.Id).Data.Check(new DataOptions(gz)), Has.Some.Contains("still compressed").And.Some.Contains("gunzip"));

        var onlyPrompts = Directory.CreateTempSubdirectory("code-data-").FullName;
        Directory.CreateDirectory(Path.Combine(onlyPrompts, "mbpp"));
        File.WriteAllLines(Path.Combine(onlyPrompts, "mbpp", "mbpp.jsonl"), [MbppRow(3, "t", "def f():\r\n  return 1", ["assert f() == 1"])]);
        Assert.That(Task(Mbpp.Id).Data.Check(new DataOptions(onlyPrompts)), Has.Some.Contains("no training problems"));
    }

    [Test]
    public void Without_python3_the_python_tasks_are_refused_with_the_scorers_reason()
    {
        var data = DataDir();
        foreach (var task in new[] { Mbpp.Create(python: "/nonexistent/python3"), HumanEval.Create(python: "/nonexistent/python3") })
        {
            var problems = task.Data.Check(new DataOptions(data)).ToList();
            Assert.That(problems, Has.Count.EqualTo(1), task.Id);
            Assert.That(problems[0], Does.StartWith(task.Id).And.Contain("needs python3").And.Contain("apt-get install python3"));
        }
    }
}
