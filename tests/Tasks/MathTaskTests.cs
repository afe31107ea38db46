using NUnit.Framework;
using PeftBench.Core.Models;
using PeftBench.Core.Tasks;
using PeftBench.Core.Tokenization;
using PeftBench.Tasks;
using PeftBench.Tasks.MathProblems;
using PeftBench.Tasks.MathProblems.Tasks;

namespace PeftBench.Tests.Tasks;

/// <summary>
/// The math generation tasks: declarations, the judge on every embedded example's gold response and on wrong ones,
/// lengths in tiny-llama tokens, and the data-dir benchmarks on the committed reader fixtures laid out as the tasks
/// expect them (tests/fixtures/math), with their up-front errors.
/// </summary>
public class MathTaskTests
{
    private static readonly string[] BenchmarkIds = ["math/gsm8k", "math/svamp", "math/mawps", "math/aqua"];

    private static TaskSpec Task(string id) => TaskCatalog.Create().Get(id);

    private static int Judge(TaskSpec task, PromptExample example, params string[] continuations) => task.Generation!.Judge(example, continuations);

    private static string Fixture(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "math", name);

    /// <summary>A fresh data folder holding fixture files under the given relative names.</summary>
    private static string DataDir(params (string Fixture, string As)[] files)
    {
        var dir = Directory.CreateTempSubdirectory("math-data-").FullName;
        foreach (var (fixture, name) in files)
        {
            var target = Path.Combine(dir, name);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Fixture(fixture), target);
        }
        return dir;
    }

    private static TaskData Load(TaskSpec task, string dataDir)
    {
        var options = new DataOptions(dataDir);
        Assert.That(task.Data.Check(options), Is.Empty, task.Data.Describe(options));
        return task.Data.Load(options);
    }

    [Test]
    public void Math_tasks_are_greedy_generation_tasks_scored_by_exact_match()
    {
        foreach (var id in BenchmarkIds.Prepend(WordProblems.Id))
        {
            var task = Task(id);
            Assert.That(task.IsGeneration, Is.True, id);
            Assert.That((task.Modality, task.Head), Is.EqualTo((Modality.Text, HeadSpec.LanguageModel())), id);
            Assert.That(task.Metrics.Select(m => (m.Name, m.Split)), Is.EqualTo(new[] { ("exact_match", "test") }), id);
            Assert.That(task.Generation!.Greedy, Is.True, id);
            Assert.That(task.Generation.Validate(), Is.Empty, id);
        }
        Assert.That(Suites.TaskIds("math"), Is.EqualTo(new[] { WordProblems.Id }));
        Assert.That(Suites.TaskIds("math-benchmarks"), Is.EqualTo(BenchmarkIds));
        Assert.That(Suites.Find("math")!.DefaultModels, Is.EqualTo(new[] { "tiny-llama" }));
        Assert.That(Suites.Find("math")!.DefaultProfile, Is.EqualTo("instruct"));
        Assert.That(Suites.Find("math-benchmarks")!.DefaultMethods, Is.EqualTo(Suites.GenerationMethods));
    }

    [Test]
    public void Every_embedded_word_problem_is_judged_correct_on_its_gold_response()
    {
        var task = Task(WordProblems.Id);
        var data = task.Data.Load(new DataOptions(null));
        Assert.That(data.Train, Has.Count.EqualTo(WordProblemGenerator.TrainCount));
        Assert.That(data.Evaluation.Keys, Is.EqualTo(new[] { "test" }));
        Assert.That(data.Evaluation["test"], Has.Count.EqualTo(WordProblemGenerator.TestCount));
        foreach (var example in data.TrainAs<MathPromptExample>().Concat(data.EvaluationAs<MathPromptExample>("test")))
        {
            Assert.That(example.Prompt, Does.StartWith("Question: ").And.EndWith("\nAnswer:"));
            Assert.That(example.Response, Does.StartWith(" ").And.Contain($"#### {example.Answer}"));
            if (Judge(task, example, example.Response) != 1) Assert.Fail($"gold response judged wrong: {example.Prompt}{example.Response}");
        }
    }

    [Test]
    public void Wrong_continuations_are_rejected()
    {
        var task = Task(WordProblems.Id);
        var example = task.Data.Load(new DataOptions(null)).EvaluationAs<MathPromptExample>("test")[0];
        long gold = long.Parse(example.Answer, System.Globalization.CultureInfo.InvariantCulture);
        var offByOne = example.Response.Replace($"#### {gold}", $"#### {gold + 1}");
        Assert.That(Judge(task, example, offByOne), Is.EqualTo(0), "off by one");
        Assert.That(Judge(task, example, ""), Is.EqualTo(0), "empty");
        Assert.That(Judge(task, example, "banana banana ### <<>>"), Is.EqualTo(0), "garbage");
        Assert.That(Judge(task, example, $"{gold} apples\n#### "), Is.EqualTo(0), "a final marker with no number after it");
        Assert.That(Judge(task, example, $" so the answer is {gold}."), Is.EqualTo(1), "without a marker the last number counts");
        Assert.That(Judge(task, example, example.Response, offByOne, example.Response), Is.EqualTo(2), "the judge counts correct continuations");
        Assert.That(() => Judge(task, new PromptExample("p", "r"), "1"), Throws.ArgumentException.With.Message.Contains("MathPromptExample"));
    }

    [Test]
    public void Word_problems_fit_tiny_llama_and_max_new_tokens_covers_every_response()
    {
        var tokenizer = DecoderTokenizers.FromFolder(new ModelZoo().Shipped.Get("tiny-llama").Folder);
        var examples = Task(WordProblems.Id).Data.Load(new DataOptions(null));
        var all = examples.TrainAs<MathPromptExample>().Concat(examples.EvaluationAs<MathPromptExample>("test")).ToList();
        int Tokens(string text) => tokenizer.Encode(text, addSpecialTokens: false).Count;
        var responses = all.Select(e => Tokens(e.Response)).ToList();
        var totals = all.Select(e => Tokens(e.Prompt + e.Response)).ToList();
        TestContext.Out.WriteLine($"math/word-problems: response tokens max {responses.Max()} mean {responses.Average():F1}; prompt+response max {totals.Max()} mean {totals.Average():F1}; MaxNewTokens {WordProblems.MaxNewTokens}");
        Assert.That(totals.Max() + 2, Is.LessThanOrEqualTo(256), "bos + prompt + response + eos fit tiny-llama's 256 positions");
        Assert.That(WordProblems.MaxNewTokens, Is.GreaterThanOrEqualTo(responses.Max() + 8), "room for the longest response and its eos");
        Assert.That(WordProblems.MaxNewTokens, Is.LessThanOrEqualTo(responses.Max() + 24), "a small margin, not a large one");
        Assert.That(WordProblems.MaxNewTokens % 8, Is.Zero);
        foreach (var e in all.Take(50))
            Assert.That(tokenizer.Decode(tokenizer.Encode(e.Prompt + e.Response, addSpecialTokens: false)), Is.EqualTo(e.Prompt + e.Response), "round trip");
    }

    [Test]
    public void Gsm8k_loads_from_its_folder()
    {
        var task = Task("math/gsm8k");
        var data = Load(task, DataDir(("gsm8k.jsonl", "gsm8k/train.jsonl"), ("gsm8k.jsonl", "gsm8k/test.jsonl")));
        var test = data.EvaluationAs<MathPromptExample>("test");
        Assert.That(data.Train, Has.Count.EqualTo(test.Count).And.Count.GreaterThan(0));
        Assert.That(test[0].Prompt, Does.StartWith("Question: Natalia sold clips").And.EndWith("\nAnswer:"));
        Assert.That(test[0].Response, Does.StartWith(" Natalia sold 48/2").And.EndWith("#### 72"));
        Assert.That(test.Select(e => Judge(task, e, e.Response)), Has.All.EqualTo(1));
        Assert.That(Judge(task, test[1], " In all 2,434 bottles.\n#### 2434"), Is.EqualTo(1), "thousands commas normalised");
    }

    [Test]
    public void Svamp_is_split_here_from_the_whole_set_or_read_as_train_and_test()
    {
        var task = Task("math/svamp");
        var whole = Load(task, DataDir(("svamp.json", "svamp/SVAMP.json")));
        var all = SvampReader.Read(Fixture("svamp.json"));
        Assert.That(whole.Train.Count + whole.Evaluation["test"].Count, Is.EqualTo(all.Count));
        Assert.That(whole.Evaluation["test"], Has.Count.EqualTo(Math.Min(Svamp.TestCount, all.Count - 1)));
        var again = Load(task, DataDir(("svamp.json", "SVAMP/SVAMP.json")));
        Assert.That(again.EvaluationAs<MathPromptExample>("test").Select(e => e.Prompt), Is.EqualTo(whole.EvaluationAs<MathPromptExample>("test").Select(e => e.Prompt)), "deterministic");
        var (train, test) = Svamp.Split(Enumerable.Range(0, 1000).Select(i => new GenerationExample($"q{i}", $"#### {i}", $"{i}")).ToList());
        Assert.That((train.Count, test.Count), Is.EqualTo((700, 300)));
        Assert.That(train.Select(e => e.Prompt).Intersect(test.Select(e => e.Prompt)), Is.Empty);

        var split = Load(task, DataDir(("svamp.json", "svamp/train.json"), ("svamp.json", "svamp/test.json")));
        Assert.That(split.Evaluation["test"], Has.Count.EqualTo(all.Count), "train.json + test.json win over splitting");
        var example = split.EvaluationAs<MathPromptExample>("test")[0];
        Assert.That(example.Response, Is.EqualTo(" ( 76.0 - 25.0 ) = 51\n#### 51"));
        Assert.That(split.EvaluationAs<MathPromptExample>("test").Select(e => Judge(task, e, e.Response)), Has.All.EqualTo(1));
    }

    [Test]
    public void Mawps_reads_either_schema_and_either_file_naming()
    {
        var task = Task("math/mawps");
        var a = Load(task, DataDir(("mawps.json", "mawps/train.json"), ("mawps.json", "mawps/test.json")));
        var b = Load(task, DataDir(("mawps-mwptoolkit.json", "mawps/trainset.json"), ("mawps-mwptoolkit.json", "mawps/testset.json")));
        foreach (var data in new[] { a, b })
        {
            var test = data.EvaluationAs<MathPromptExample>("test");
            Assert.That(test, Is.Not.Empty);
            Assert.That(test.Select(e => Judge(task, e, e.Response)), Has.All.EqualTo(1));
        }
        Assert.That(a.EvaluationAs<MathPromptExample>("test")[0].Response, Is.EqualTo(" X=(70.0-27.0)\n#### 43"));
    }

    [Test]
    public void Aqua_puts_the_options_in_the_prompt_and_judges_letters()
    {
        var task = Task("math/aqua");
        var data = Load(task, DataDir(("aqua.json", "AQuA/train.json"), ("aqua.json", "AQuA/test.json")));
        var first = data.EvaluationAs<MathPromptExample>("test")[0];
        Assert.That(first.Kind, Is.EqualTo(MathAnswerKind.OptionLetter));
        Assert.That(first.Prompt, Is.EqualTo("Question: A car travels 60 km in 1.5 hours. What is its average speed in km/h?\nA)30 B)40 C)45 D)50 E)90\nAnswer:"));
        Assert.That(data.EvaluationAs<MathPromptExample>("test").Select(e => Judge(task, e, e.Response)), Has.All.EqualTo(1));
        Assert.That(Judge(task, first, " 60 / 1.5 = 40\n#### C"), Is.EqualTo(0), "the wrong letter");
        Assert.That(Judge(task, first, " The answer is (b)."), Is.EqualTo(1));
        Assert.That(Judge(task, first, " 40"), Is.EqualTo(0), "a number is not an option letter");
    }

    [Test]
    public void Benchmarks_say_what_is_missing_before_training()
    {
        foreach (var id in BenchmarkIds)
        {
            var problems = Task(id).Data.Check(new DataOptions(null)).ToList();
            Assert.That(problems, Has.Count.EqualTo(1), id);
            Assert.That(problems[0], Does.Contain("--data-dir").And.Contain("not embedded"), id);
        }
        var empty = Directory.CreateTempSubdirectory("math-empty-").FullName;
        var gsm = Task("math/gsm8k").Data.Check(new DataOptions(empty)).Single();
        Assert.That(gsm, Does.Contain(Path.Combine(empty, "gsm8k")).And.Contain("does not exist").And.Contain("train.jsonl + test.jsonl"));

        var onlyTrain = DataDir(("gsm8k.jsonl", "gsm8k/train.jsonl"));
        var missing = Task("math/gsm8k").Data.Check(new DataOptions(onlyTrain)).Single();
        Assert.That(missing, Does.Contain("lacks its data files").And.Contain("found: train.jsonl").And.Contain("test.jsonl"));
        Assert.That(() => Task("math/gsm8k").Data.Load(new DataOptions(onlyTrain)), Throws.InvalidOperationException.With.Message.Contains("lacks its data files"));

        var wrongFormat = DataDir(("svamp.json", "gsm8k/train.jsonl"), ("gsm8k.jsonl", "gsm8k/test.jsonl"));
        Assert.That(Task("math/gsm8k").Data.Check(new DataOptions(wrongFormat)).Single(), Does.Contain("train.jsonl").And.Contain("check that the file is GSM8K"));

        var mawps = Task("math/mawps").Data.Check(new DataOptions(DataDir(("mawps.json", "mawps/train.json")))).Single();
        Assert.That(mawps, Does.Contain("train.json + test.json, or trainset.json + testset.json"));
    }
}
