using System.CommandLine;
using PeftBench.Harness.Merging;
using PeftBench.Reports.Merging;

namespace PeftBench.Harness.Cli;

/// <summary>
/// <c>merge RUN [--ops compeft,breadcrumbs,task-arithmetic] [--densities …] [--alphas …] [--lambdas …] [--out DIR]</c>:
/// post-hoc compression and merging of a finished run's saved adapters (<c>--save-adapters</c>), scored against the
/// cells' own results; writes RUN/merging/merging.{json,csv,md} and prints the table. Exit 2 on a usage or input error.
/// </summary>
public static class MergeCommand
{
    public sealed record Request(string Run, string? Ops = null, string? Densities = null, string? Alphas = null, string? Lambdas = null,
        double? Outliers = null, string? CompeftScope = null, int? SelectionExamples = null, string? Methods = null,
        string? DataDir = null, string? Device = null, string? Out = null);

    public static void AddTo(RootCommand root, Composition composition)
    {
        var run = new Argument<string>("run") { Description = "A run folder with cells/ and adapters/ (a run made with --save-adapters)." };
        var ops = new Option<string?>("--ops") { Description = $"Operations, comma-separated: {string.Join(", ", MergeOps.All)} (default: all)." };
        var densities = new Option<string?>("--densities") { Description = "Fractions of the update kept, comma-separated (default 0.05,0.1,0.2,0.5,1; 1 = uncompressed)." };
        var alphas = new Option<string?>("--alphas") { Description = "ComPEFT's α grid (τ̃ = α·σ·sign(τ) on the kept entries), chosen on selection rows (default 0.5,1,2,3,4,5,6,8,10)." };
        var lambdas = new Option<string?>("--lambdas") { Description = "Task-vector scale grid for breadcrumbs and task-arithmetic (default 0.1,0.2,…,1,1.5,2)." };
        var outliers = new Option<double?>("--outliers") { Description = "Breadcrumbs: fraction of the largest magnitudes per tensor dropped as outliers (default 0.01)." };
        var scope = new Option<string?>("--compeft-scope") { Description = "ComPEFT's top-k and σ over the whole update ('model', as its released code; default) or per tensor ('tensor')." };
        var selection = new Option<int?>("--selection-examples") { Description = "Training rows the scales are chosen on (held out from the cell's training where its recipe left some; default 512)." };
        var methods = new Option<string?>("--methods") { Description = "Only cells of these method ids, comma-separated (default: every method whose update is added to the weights)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "The run's --data-dir, if it had one (cells are matched by key, which includes the data)." };
        var device = new Option<string?>("--device") { Description = "Evaluate on this device (default: the device each cell ran on)." };
        var output = new Option<string?>("--out") { Description = "Where to write merging.json, merging.csv and merging.md (default RUN/merging)." };
        var command = new Command("merge", "Compress (ComPEFT, Breadcrumbs) and merge (task arithmetic, Breadcrumbs) the trained updates of a run's saved adapters; report score against stored size.")
            { run, ops, densities, alphas, lambdas, outliers, scope, selection, methods, dataDir, device, output };
        command.SetAction(parse => Execute(new Request(parse.GetValue(run)!, parse.GetValue(ops), parse.GetValue(densities), parse.GetValue(alphas),
            parse.GetValue(lambdas), parse.GetValue(outliers), parse.GetValue(scope), parse.GetValue(selection), parse.GetValue(methods),
            parse.GetValue(dataDir), parse.GetValue(device), parse.GetValue(output)), composition, Console.Out));
        root.Subcommands.Add(command);
    }

    public static int Execute(Request request, Composition composition, TextWriter output)
    {
        var problems = new List<string>();
        var defaults = new MergeOptions();
        var options = new MergeOptions
        {
            Ops = request.Ops is null ? MergeOps.All : MergeOps.Parse([request.Ops], problems),
            Densities = MergeOptions.ParseList(request.Densities, "--densities", defaults.Densities, problems),
            Alphas = MergeOptions.ParseList(request.Alphas, "--alphas", defaults.Alphas, problems),
            Lambdas = MergeOptions.ParseList(request.Lambdas, "--lambdas", defaults.Lambdas, problems),
            OutlierFraction = request.Outliers ?? defaults.OutlierFraction,
            CompeftScope = request.CompeftScope ?? defaults.CompeftScope,
            SelectionExamples = request.SelectionExamples ?? defaults.SelectionExamples,
            Methods = request.Methods?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [],
            DataDir = request.DataDir,
            Device = request.Device,
        };
        problems.AddRange(options.Validate());
        foreach (var id in options.Methods.Where(m => !composition.Methods.Contains(m)))
            problems.Add(composition.Methods.UnknownMessage(id));
        if (!Directory.Exists(request.Run)) problems.Add($"run folder '{request.Run}' does not exist.");
        if (problems.Count > 0)
        {
            foreach (var p in problems) output.WriteLine($"merge: {p}");
            return ExitCodes.Usage;
        }

        MergeReport report;
        try { report = new MergeStep(composition, output.WriteLine).Run(request.Run, options); }
        catch (Exception e) when (e is MergeException or IOException or InvalidDataException or System.Text.Json.JsonException)
        {
            output.WriteLine($"merge: {e.Message}");
            return ExitCodes.Usage;
        }
        var written = MergeOutputs.Write(report, Path.GetFullPath(request.Out ?? Path.Combine(request.Run, "merging")));
        output.WriteLine();
        output.Write(MergeOutputs.Console(report));
        if (report.Skipped.Count > 0) output.WriteLine($"{report.Skipped.Count} cell(s) not used; the reasons are in {MergeOutputs.MarkdownFile}.");
        foreach (var path in written) output.WriteLine($"  {path}");
        return report.Rows.Count > 0 ? ExitCodes.Ok : ExitCodes.Usage;
    }
}
