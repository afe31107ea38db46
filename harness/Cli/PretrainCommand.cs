using System.CommandLine;
using PeftBench.Core.Models;
using PeftBench.Harness.Pretraining;

namespace PeftBench.Harness.Cli;

/// <summary>
/// <c>pretrain</c>: rebuilds a shipped tiny backbone (corpus → vocabulary → masked-LM pretraining → safetensors +
/// manifest). The manifest records the exact command, so <c>harness/zoo/*/manifest.json</c> says how to reproduce it.
/// </summary>
public static class PretrainCommand
{
    public static void AddTo(RootCommand root)
    {
        var defaults = new MlmRecipe();
        var model = new Option<string>("--model") { Description = "Zoo id to build (tiny-bert).", DefaultValueFactory = _ => "tiny-bert" };
        var output = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => "harness/zoo/tiny-bert" };
        var sources = new Option<string?>("--sources") { Description = "Rebuild corpus and vocabulary from these fetched packages (tasks/data/sources/fetch.sh); omit to reuse the folder's corpus.txt.gz and vocab.txt." };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps.", DefaultValueFactory = _ => defaults.Steps };
        var batch = new Option<int>("--batch-size") { Description = "Sequences per step.", DefaultValueFactory = _ => defaults.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => defaults.PeakLearningRate };
        var warmup = new Option<int>("--warmup") { Description = "Warm-up steps.", DefaultValueFactory = _ => defaults.WarmupSteps };
        var seed = new Option<long>("--seed") { Description = "Seed of corpus shuffle, masking, init and data order.", DefaultValueFactory = _ => defaults.Seed };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (losses are reproducible only at the same count).", DefaultValueFactory = _ => defaults.Threads };
        var measure = new Option<int?>("--measure-only") { Description = "Run this many steps, print ms/step, write no weights." };
        var command = new Command("pretrain", "Pretrain a shipped tiny backbone with masked-LM (maintainers; the result is committed).")
            { model, output, sources, steps, batch, lr, warmup, seed, threads, measure };
        command.SetAction(parse =>
        {
            if (parse.GetValue(model) != "tiny-bert")
            {
                Console.Error.WriteLine($"pretrain knows how to build 'tiny-bert' only (got '{parse.GetValue(model)}').");
                return ExitCodes.Usage;
            }
            var options = new PretrainOptions
            {
                ModelId = parse.GetValue(model)!,
                OutputDirectory = parse.GetValue(output)!,
                SourcesDirectory = parse.GetValue(sources),
                MeasureOnlySteps = parse.GetValue(measure),
                Recipe = defaults with
                {
                    Steps = parse.GetValue(steps), BatchSize = parse.GetValue(batch), PeakLearningRate = parse.GetValue(lr),
                    WarmupSteps = parse.GetValue(warmup), Seed = parse.GetValue(seed), Threads = parse.GetValue(threads),
                },
            };
            try { Pretrainer.Run(options, Console.Out); }
            catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return ExitCodes.Usage; }
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }
}
