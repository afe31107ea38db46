using NUnit.Framework;
using PeftBench.Harness;
using PeftBench.Harness.Cli;
using PeftBench.Harness.Planning;

namespace PeftBench.Tests.Harness;

/// <summary><c>plan --emit slurm</c>: a validated matrix becomes a job array with one task per shard and a dependent report.</summary>
public sealed class PlanCommandTests
{
    private static readonly Composition Composition = new();

    [Test]
    public void EmitsAJobArrayWithOneTaskPerShardAndADependentReport()
    {
        var dir = Directory.CreateTempSubdirectory("slurm-plan-").FullName;
        try
        {
            var request = new RunRequest { Suite = "glue", Methods = ["lora", "bitfit"], Profile = "smoke", Out = Path.Combine(dir, "results") };
            var output = new StringWriter();
            var exit = PlanCommand.Execute(request, new PlanCommand.SlurmOptions(3, 1, 8, "02:00:00", "gpu", null), "slurm", dir, Composition, output, new StringWriter());
            Assert.That(exit, Is.EqualTo(ExitCodes.Ok), output.ToString());
            var array = File.ReadAllText(Path.Combine(dir, "peftbench.sbatch"));
            Assert.That(array, Does.Contain("#SBATCH --array=1-3"));
            Assert.That(array, Does.Contain("#SBATCH --gres=gpu:1"));
            Assert.That(array, Does.Contain("#SBATCH --requeue"));
            Assert.That(array, Does.Contain("--shard \"$SLURM_ARRAY_TASK_ID/3\""));
            Assert.That(array, Does.Contain("'--device' 'cuda'"), "GPU tasks run on cuda");
            Assert.That(array, Does.Contain("'--threads' '8'"), "threads pinned to the CPUs asked for");
            var submit = File.ReadAllText(Path.Combine(dir, "submit.sh"));
            Assert.That(submit, Does.Contain("--dependency=afterany:"));
            Assert.That(File.ReadAllText(Path.Combine(dir, "report.sbatch")), Does.Contain("-- report"));
            Assert.That(output.ToString(), Does.Contain("shard 3/3"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void AnInvalidMatrixEmitsNothing()
    {
        var dir = Directory.CreateTempSubdirectory("slurm-plan-").FullName;
        try
        {
            var error = new StringWriter();
            var exit = PlanCommand.Execute(new RunRequest { Suite = "glue", Methods = ["lroa"], Profile = "smoke" },
                new PlanCommand.SlurmOptions(2, 0, 2, "01:00:00", null, null), "slurm", dir, Composition, new StringWriter(), error);
            Assert.That(exit, Is.EqualTo(ExitCodes.Usage));
            Assert.That(error.ToString(), Does.Contain("'lora'"));
            Assert.That(Directory.GetFiles(dir), Is.Empty);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
