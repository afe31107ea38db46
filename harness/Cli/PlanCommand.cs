using System.CommandLine;
using System.Globalization;
using System.Text;
using PeftBench.Harness.Planning;
using PeftBench.Reports;

namespace PeftBench.Harness.Cli;

/// <summary>
/// <c>plan [run options] [--shards N] [--emit list|slurm --out-dir DIR]</c>: validates a matrix exactly as the run
/// command would (nothing trains), prints its shards, and for <c>--emit slurm</c> writes a job-array script (one array
/// task per shard, requeued on preemption; a requeued shard resumes and skips its finished cells), a report job that
/// runs after every shard, and <c>submit.sh</c>, which builds once and submits both.
/// </summary>
public static class PlanCommand
{
    public sealed record SlurmOptions(int Shards, int GpusPerTask, int CpusPerTask, string Time, string? Partition, string? Account);

    public static void AddTo(RootCommand root, Composition composition)
    {
        var run = RunRequestOptions.Create();
        var shards = new Option<int>("--shards") { Description = "Number of shards (array tasks).", DefaultValueFactory = _ => 1 };
        var emit = new Option<string>("--emit") { Description = "list (print each shard's cells) or slurm (write job scripts to --out-dir).", DefaultValueFactory = _ => "list" };
        var outDir = new Option<string?>("--out-dir") { Description = "Where --emit slurm writes peftbench.sbatch, report.sbatch and submit.sh." };
        var gpus = new Option<int>("--gpus-per-task") { Description = "GPUs per array task (0: CPU). With GPUs, --device defaults to cuda.", DefaultValueFactory = _ => 0 };
        var cpus = new Option<int>("--cpus-per-task") { Description = "CPUs per array task (also the pinned --threads unless given).", DefaultValueFactory = _ => 4 };
        var time = new Option<string>("--time") { Description = "Wall-time limit per array task (Slurm format).", DefaultValueFactory = _ => "04:00:00" };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition." };
        var account = new Option<string?>("--account") { Description = "Slurm account." };
        var command = new Command("plan", "Validate a run's matrix without training; print its shards or emit a Slurm job array.")
            { shards, emit, outDir, gpus, cpus, time, partition, account };
        foreach (var o in run.All.Where(o => o != run.Shard && o != run.Force)) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var request = run.Read(parse);
            var slurm = new SlurmOptions(parse.GetValue(shards), parse.GetValue(gpus), parse.GetValue(cpus), parse.GetValue(time)!, parse.GetValue(partition), parse.GetValue(account));
            return Execute(request, slurm, parse.GetValue(emit)!, parse.GetValue(outDir), composition, Console.Out, Console.Error);
        });
        root.Subcommands.Add(command);
    }

    public static int Execute(RunRequest request, SlurmOptions slurm, string emit, string? outDir, Composition composition, TextWriter output, TextWriter error)
    {
        if (slurm.Shards < 1) { error.WriteLine($"plan: --shards must be at least 1 (got {slurm.Shards})."); return ExitCodes.Usage; }
        if (emit is not ("list" or "slurm")) { error.WriteLine($"plan: --emit must be list or slurm (got '{emit}')."); return ExitCodes.Usage; }
        if (emit == "slurm" && outDir is null) { error.WriteLine("plan: --emit slurm needs --out-dir DIR for the scripts."); return ExitCodes.Usage; }
        if (slurm.GpusPerTask > 0 && request.Device == "cpu") request = request with { Device = "cuda" };
        request = request with { Threads = request.Threads ?? slurm.CpusPerTask };
        RunPlan plan;
        try
        {
            // The GPU check belongs to the machines that will run the shards, not to the one that plans them.
            plan = Planner.Plan(request with { Device = "cpu", Devices = [] }, composition.PlanningContext());
        }
        catch (PlanException e)
        {
            error.WriteLine($"plan: nothing was planned: {e.Problems.Count} problem(s) in the request.");
            foreach (var p in e.Problems) error.WriteLine($"  • {p}");
            return ExitCodes.Usage;
        }
        output.WriteLine($"{plan.Cells.Count} cells → {plan.OutputDirectory}; {slurm.Shards} shard(s)");
        for (var i = 1; i <= slurm.Shards; i++)
        {
            var cells = Planner.Slice(plan.Cells, i, slurm.Shards);
            output.WriteLine($"  shard {i}/{slurm.Shards}: {cells.Count} cells" + (emit == "list" ? ": " + string.Join(", ", cells.Select(c => c.Label)) : ""));
        }
        if (emit == "list") return ExitCodes.Ok;

        var scripts = Path.GetFullPath(outDir!);
        Directory.CreateDirectory(Path.Combine(scripts, "logs"));
        var repo = FindRepositoryRoot();
        var files = SlurmScripts(request, slurm, plan.OutputDirectory, scripts, repo);
        foreach (var (name, text) in files)
        {
            var path = Path.Combine(scripts, name);
            AtomicFile.WriteAllText(path, text);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
            output.WriteLine($"  wrote {path}");
        }
        output.WriteLine($"Submit with: {Path.Combine(scripts, "submit.sh")}");
        return ExitCodes.Ok;
    }

    /// <summary>peftbench.sbatch (the array), report.sbatch (after all shards) and submit.sh.</summary>
    public static IReadOnlyList<(string Name, string Text)> SlurmScripts(RunRequest request, SlurmOptions slurm, string results, string scripts, string repo)
    {
        string Quote(string s) => "'" + s.Replace("'", "'\"'\"'") + "'";
        var args = string.Join(" ", RunRequestOptions.ToArguments(request).Select(Quote));
        var header = new StringBuilder();
        header.AppendLine("#!/bin/bash");
        header.AppendLine($"# Written by `peftbench plan --emit slurm` ({DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC). Results: {results}");
        void Directive(string d) => header.AppendLine("#SBATCH " + d);
        if (slurm.Partition is { } p) Directive($"--partition={p}");
        if (slurm.Account is { } a) Directive($"--account={a}");

        var array = new StringBuilder(header.ToString());
        array.AppendLine($"#SBATCH --job-name=peftbench");
        array.AppendLine($"#SBATCH --array=1-{slurm.Shards}");
        array.AppendLine($"#SBATCH --cpus-per-task={slurm.CpusPerTask}");
        if (slurm.GpusPerTask > 0) array.AppendLine($"#SBATCH --gres=gpu:{slurm.GpusPerTask}");
        array.AppendLine($"#SBATCH --time={slurm.Time}");
        array.AppendLine("#SBATCH --requeue");
        array.AppendLine("#SBATCH --open-mode=append");
        array.AppendLine($"#SBATCH --output={Path.Combine(scripts, "logs", "shard-%a.out")}");
        array.AppendLine("set -euo pipefail");
        array.AppendLine($"cd {Quote(repo)}");
        array.AppendLine("# A requeued shard resumes: finished cells are key-named result files and are skipped.");
        array.AppendLine($"exec dotnet run --project harness -c Release --no-build -- {args} --out {Quote(results)} --shard \"$SLURM_ARRAY_TASK_ID/{slurm.Shards}\"");

        var report = new StringBuilder(header.ToString());
        report.AppendLine("#SBATCH --job-name=peftbench-report");
        report.AppendLine("#SBATCH --cpus-per-task=1");
        report.AppendLine("#SBATCH --time=00:30:00");
        report.AppendLine($"#SBATCH --output={Path.Combine(scripts, "logs", "report.out")}");
        report.AppendLine("set -euo pipefail");
        report.AppendLine($"cd {Quote(repo)}");
        report.AppendLine($"exec dotnet run --project harness -c Release --no-build -- report {Quote(results)}");

        var submit = new StringBuilder();
        submit.AppendLine("#!/bin/bash");
        submit.AppendLine("# Builds once, submits the shards as a job array, then the report after all of them (whatever their outcome:");
        submit.AppendLine("# a re-submission resumes, and the report shows failed cells).");
        submit.AppendLine("set -euo pipefail");
        submit.AppendLine($"cd {Quote(repo)}");
        submit.AppendLine("dotnet build Bench.sln -c Release");
        submit.AppendLine($"array=$(sbatch --parsable {Quote(Path.Combine(scripts, "peftbench.sbatch"))})");
        submit.AppendLine($"report=$(sbatch --parsable --dependency=afterany:${{array%%;*}} {Quote(Path.Combine(scripts, "report.sbatch"))})");
        submit.AppendLine("echo \"submitted array job $array and report job $report\"");
        return [("peftbench.sbatch", array.ToString()), ("report.sbatch", report.ToString()), ("submit.sh", submit.ToString())];
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Bench.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
