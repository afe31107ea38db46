using NUnit.Framework;
using PeftBench.Core.Tasks;
using PeftBench.Tasks;
using PeftBench.Tasks.Glue;
using PeftBench.Tasks.Glue.Tasks;

namespace PeftBench.Tests.Tasks;

/// <summary>The GLUE readers on hand-written files in the official layouts (tests/fixtures/glue/&lt;TASK&gt;).</summary>
public class GlueReaderTests
{
    private static string Fixtures(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", name);

    private static TaskData Load(string taskId, string fixtures = "glue")
    {
        var task = TaskCatalog.Create().Get(taskId);
        var options = new DataOptions(Fixtures(fixtures));
        Assert.That(task.Data.Check(options), Is.Empty);
        return task.Data.Load(options);
    }

    [Test]
    public void Cola_has_no_header_and_reads_sentence_and_label_by_position()
    {
        var data = Load("glue/cola");
        Assert.That(data.TrainAs<TextExample>(), Has.Count.EqualTo(3)); // the first line is data, not a header
        Assert.That(data.TrainAs<TextExample>()[0].TextA, Is.EqualTo("The committee approved the new budget yesterday."));
        Assert.That(data.TrainAs<TextExample>().Select(e => e.Label), Is.EqualTo(new[] { 1f, 1f, 0f }));
        Assert.That(data.EvaluationAs<TextExample>("dev").Select(e => e.Label), Is.EqualTo(new[] { 1f, 0f }));
    }

    [Test]
    public void Sst2_skips_the_header_and_keeps_quotes_literal()
    {
        var data = Load("glue/sst2");
        Assert.That(data.TrainAs<TextExample>(), Has.Count.EqualTo(3));
        Assert.That(data.TrainAs<TextExample>()[2].TextA, Is.EqualTo("the cast is \"wonderful\" and the music soars "));
        Assert.That(data.TrainAs<TextExample>()[2].TextB, Is.Null);
        Assert.That(data.TrainAs<TextExample>().Select(e => e.Label), Is.EqualTo(new[] { 0f, 0f, 1f }));
        // an unbalanced quote must not swallow the next line, as a CSV reader with quote handling would
        Assert.That(data.EvaluationAs<TextExample>("dev").Select(e => e.TextA), Is.EqualTo(new[] { "a warm , funny and \"clever little film . ", "i wanted my two hours back " }));
    }

    [Test]
    public void Mrpc_reads_quality_and_both_strings_by_header_name()
    {
        var data = Load("glue/mrpc");
        Assert.That(data.TrainAs<TextExample>()[1].TextA, Does.Contain("\" reckless \""));
        Assert.That(data.TrainAs<TextExample>()[0].TextB, Is.EqualTo("Third-quarter profit climbed 12 percent , the company said ."));
        Assert.That(data.TrainAs<TextExample>().Select(e => e.Label), Is.EqualTo(new[] { 1f, 0f }));
    }

    [Test]
    public void Stsb_scores_are_regression_targets()
    {
        var data = Load("glue/stsb");
        Assert.That(data.TrainAs<TextExample>().Select(e => e.Label), Is.EqualTo(new[] { 4.8f, 2.4f, 0f }));
        Assert.That(data.EvaluationAs<TextExample>("dev")[1].TextB, Is.EqualTo("Two men are playing cards."));
    }

    [Test]
    public void Qqp_reads_questions_and_is_duplicate()
    {
        var data = Load("glue/qqp");
        Assert.That(data.EvaluationAs<TextExample>("dev").Select(e => e.Label), Is.EqualTo(new[] { 1f, 0f, 1f }));
        Assert.That(data.TrainAs<TextExample>()[1].TextA, Is.EqualTo("Why is the sky blue?"));
    }

    [Test]
    public void Mnli_reads_train_and_both_dev_files_with_different_column_counts()
    {
        var data = Load("glue/mnli");
        Assert.That(data.Evaluation.Keys, Is.EquivalentTo(new[] { "dev_matched", "dev_mismatched" }));
        // entailment 0, neutral 1, contradiction 2 (Hugging Face GLUE ids); the label is gold_label, not label1
        Assert.That(data.TrainAs<TextExample>().Select(e => e.Label), Is.EqualTo(new[] { 1f, 0f, 2f }));
        Assert.That(data.EvaluationAs<TextExample>("dev_matched").Select(e => e.Label), Is.EqualTo(new[] { 0f, 2f }));
        Assert.That(data.EvaluationAs<TextExample>("dev_mismatched").Select(e => e.Label), Is.EqualTo(new[] { 2f, 1f, 0f }));
        Assert.That(data.EvaluationAs<TextExample>("dev_mismatched")[2].TextA, Does.Contain("includes  fresh")); // double space kept
    }

    [TestCase("glue/qnli", new[] { 0f, 1f, 0f })]
    [TestCase("glue/rte", new[] { 1f, 0f })]
    [TestCase("glue/wnli", new[] { 1f, 0f, 1f })]
    public void Binary_nli_labels_map_like_hugging_face(string taskId, float[] expected)
    {
        // QNLI/RTE: entailment 0, not_entailment 1; WNLI: the file's 0/1
        Assert.That(Load(taskId).Train.Select(e => e.Label), Is.EqualTo(expected));
    }

    [Test]
    public void A_row_with_a_missing_column_names_file_line_and_fix()
    {
        var task = TaskCatalog.Create().Get("glue/rte");
        var ex = Assert.Throws<FormatException>(() => task.Data.Load(new DataOptions(Fixtures("glue-malformed"))));
        Assert.That(ex!.Message, Does.Contain(Path.Combine("RTE", "train.tsv") + ":3:"));
        Assert.That(ex.Message, Does.Contain("expected 4 tab-separated columns"));
        Assert.That(ex.Message, Does.Contain("found 3"));
        Assert.That(ex.Message, Does.Contain("without quoting"));
    }

    [Test]
    public void A_wrong_header_is_reported_by_check_and_an_unknown_label_by_load()
    {
        var task = TaskCatalog.Create().Get("glue/qnli");
        var options = new DataOptions(Fixtures("glue-malformed"));
        var problems = task.Data.Check(options).ToList();
        Assert.That(problems, Has.Count.EqualTo(1));
        Assert.That(problems[0], Does.Contain("train.tsv:1:").And.Contain("'sentence'"));
        var ex = Assert.Throws<FormatException>(() => GlueTsvReader.Read(Path.Combine(Fixtures("glue-malformed"), "QNLI", "dev.tsv"), Qnli.Format()));
        Assert.That(ex!.Message, Does.Contain("dev.tsv:2:").And.Contain("'maybe'").And.Contain("'not_entailment'"));
    }

    [Test]
    public void Check_reports_a_missing_data_dir_with_its_path_without_loading()
    {
        var missing = Path.Combine(Path.GetTempPath(), "peftbench-no-such-glue-dir");
        var task = TaskCatalog.Create().Get("glue/sst2");
        var problems = task.Data.Check(new DataOptions(missing)).ToList();
        Assert.That(problems, Has.Count.EqualTo(1));
        Assert.That(problems[0], Does.Contain(Path.Combine(missing, "SST-2")).And.Contain("--data-dir"));
    }

    [Test]
    public void Check_lists_the_folders_it_found_when_the_task_folder_is_missing()
    {
        // pointing --data-dir at one task folder instead of the GLUE root is the usual slip
        var problems = TaskCatalog.Create().Get("glue/cola").Data.Check(new DataOptions(Path.Combine(Fixtures("glue"), "SST-2"))).ToList();
        Assert.That(problems.Single(), Does.Contain(Path.Combine(Fixtures("glue"), "SST-2", "CoLA")));
        var atRoot = TaskCatalog.Create().Get("glue/cola").Data.Check(new DataOptions(Fixtures("glue-malformed"))).Single();
        Assert.That(atRoot, Does.Contain("Folders found in").And.Contain("QNLI, RTE"));
    }

    [Test]
    public void Check_reports_a_missing_file_with_its_path()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"peftbench-glue-{TestContext.CurrentContext.Test.ID}");
        Directory.CreateDirectory(Path.Combine(dir, "MNLI"));
        try
        {
            File.Copy(Path.Combine(Fixtures("glue"), "MNLI", "train.tsv"), Path.Combine(dir, "MNLI", "train.tsv"), overwrite: true);
            var problems = TaskCatalog.Create().Get("glue/mnli").Data.Check(new DataOptions(dir)).ToList();
            Assert.That(problems, Has.Count.EqualTo(2));
            Assert.That(problems[0], Does.Contain(Path.Combine(dir, "MNLI", "dev_matched.tsv")));
            Assert.That(problems[1], Does.Contain(Path.Combine(dir, "MNLI", "dev_mismatched.tsv")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
