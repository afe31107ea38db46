using System.CommandLine;
using PeftBench.Core.Models;
using PeftBench.Harness.Pretraining;

namespace PeftBench.Harness.Cli;

/// <summary>
/// <c>pretrain</c>: rebuilds a shipped tiny backbone — tiny-bert (corpus → vocabulary → masked-LM pretraining), or
/// tiny-vit / tiny-ast (fetched images or synthesised speech → masked patch modelling) — as safetensors + manifest.
/// The manifest records the exact command, so <c>harness/zoo/*/manifest.json</c> says how to reproduce it. Options
/// left out take the model's own recipe defaults.
/// </summary>
public static class PretrainCommand
{
    public static void AddTo(RootCommand root)
    {
        var known = new[] { "tiny-bert" }.Concat(MaskedPatchBackbone.All.Select(b => b.Id)).ToList();
        var model = new Option<string>("--model") { Description = $"Zoo id to build ({string.Join(", ", known)}).", DefaultValueFactory = _ => "tiny-bert" };
        var output = new Option<string?>("--out") { Description = "Output folder (default harness/zoo/MODEL)." };
        var sources = new Option<string?>("--sources") { Description = "Fetched packages (tasks/data/sources/fetch.sh, fetch-media.sh). tiny-bert: rebuild corpus and vocabulary from them (omit to reuse the folder's corpus.txt.gz and vocab.txt); tiny-vit/tiny-ast: required." };
        var steps = new Option<int?>("--steps") { Description = "Optimizer steps." };
        var batch = new Option<int?>("--batch-size") { Description = "Examples (sequences, images, clips) per step." };
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate." };
        var warmup = new Option<int?>("--warmup") { Description = "Warm-up steps." };
        var seed = new Option<long?>("--seed") { Description = "Seed of data order, masking, init and augmentation." };
        var threads = new Option<int?>("--threads") { Description = "libtorch threads (losses are reproducible only at the same count)." };
        var measure = new Option<int?>("--measure-only") { Description = "Run this many steps, print ms/step, write no weights." };
        var command = new Command("pretrain", "Pretrain a shipped tiny backbone (maintainers; the result is committed).")
            { model, output, sources, steps, batch, lr, warmup, seed, threads, measure };
        command.SetAction(parse =>
        {
            var id = parse.GetValue(model)!;
            var outDir = parse.GetValue(output) ?? $"harness/zoo/{id}";
            try
            {
                if (MaskedPatchBackbone.Find(id) is { } backbone)
                {
                    var d = backbone.DefaultRecipe;
                    var recipe = d with
                    {
                        Steps = parse.GetValue(steps) ?? d.Steps, BatchSize = parse.GetValue(batch) ?? d.BatchSize,
                        PeakLearningRate = parse.GetValue(lr) ?? d.PeakLearningRate, WarmupSteps = parse.GetValue(warmup) ?? d.WarmupSteps,
                        Seed = parse.GetValue(seed) ?? d.Seed, Threads = parse.GetValue(threads) ?? d.Threads,
                    };
                    var fetched = parse.GetValue(sources) ?? throw new ArgumentException($"{id} is pretrained from fetched data: pass --sources .cache/sources (tasks/data/sources/fetch-media.sh fills it).");
                    MaskedPatchPretrainer.Run(new MaskedPatchOptions(backbone, outDir, fetched, recipe, parse.GetValue(measure)), Console.Out);
                    return ExitCodes.Ok;
                }
                if (id != "tiny-bert")
                {
                    Console.Error.WriteLine($"pretrain knows how to build {string.Join(", ", known)} (got '{id}').");
                    return ExitCodes.Usage;
                }
                var defaults = new MlmRecipe();
                var options = new PretrainOptions
                {
                    ModelId = id,
                    OutputDirectory = outDir,
                    SourcesDirectory = parse.GetValue(sources),
                    MeasureOnlySteps = parse.GetValue(measure),
                    Recipe = defaults with
                    {
                        Steps = parse.GetValue(steps) ?? defaults.Steps, BatchSize = parse.GetValue(batch) ?? defaults.BatchSize,
                        PeakLearningRate = parse.GetValue(lr) ?? defaults.PeakLearningRate, WarmupSteps = parse.GetValue(warmup) ?? defaults.WarmupSteps,
                        Seed = parse.GetValue(seed) ?? defaults.Seed, Threads = parse.GetValue(threads) ?? defaults.Threads,
                    },
                };
                Pretrainer.Run(options, Console.Out);
            }
            catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return ExitCodes.Usage; }
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }
}
