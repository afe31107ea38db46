using System.CommandLine;
using PeftBench.Core.Models;
using PeftBench.Harness.Pretraining;

namespace PeftBench.Harness.Cli;

/// <summary>
/// <c>pretrain</c>: rebuilds a shipped tiny backbone. <c>--model tiny-bert</c> (default): corpus → WordPiece → masked-LM;
/// <c>--model tiny-llama</c>: corpus → byte-level BPE → causal LM; <c>--model tiny-vit</c> / <c>tiny-ast</c>: fetched images /
/// synthesised speech → masked patch modelling. Unset recipe options take the model's recipe defaults.
/// The manifest records the exact command, so <c>harness/zoo/*/manifest.json</c> says how to reproduce it.
/// </summary>
public static class PretrainCommand
{
    public static readonly IReadOnlyList<string> Models = ["tiny-bert", CausalLmPretrainer.ModelId, .. MaskedPatchBackbone.All.Select(b => b.Id)];

    public static void AddTo(RootCommand root)
    {
        var model = new Option<string>("--model") { Description = $"Zoo id to build ({string.Join(", ", Models)}).", DefaultValueFactory = _ => "tiny-bert" };
        var output = new Option<string?>("--out") { Description = "Output folder (default: harness/zoo/MODEL)." };
        var sources = new Option<string?>("--sources") { Description = "Rebuild corpus and tokenizer from these fetched packages (tasks/data/sources/fetch.sh); omit to reuse the folder's corpus and tokenizer files. tiny-vit/tiny-ast: required (tasks/data/sources/fetch-media.sh)." };
        var steps = new Option<int?>("--steps") { Description = "Optimizer steps (default: the model's recipe)." };
        var batch = new Option<int?>("--batch-size") { Description = "Sequences (images, clips) per step (default: the model's recipe)." };
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate (default: the model's recipe)." };
        var warmup = new Option<int?>("--warmup") { Description = "Warm-up steps (default: the model's recipe)." };
        var seed = new Option<long?>("--seed") { Description = "Seed of corpus sampling and shuffle, masking, init and data order (default: the model's recipe)." };
        var threads = new Option<int?>("--threads") { Description = "libtorch threads (losses are reproducible only at the same count; default: the recipe's, tiny-bert 2, tiny-llama 1)." };
        var measure = new Option<int?>("--measure-only") { Description = "Run this many steps, print ms/step, write no weights." };
        var command = new Command("pretrain", "Pretrain a shipped tiny backbone (maintainers; the result is committed).")
            { model, output, sources, steps, batch, lr, warmup, seed, threads, measure };
        command.SetAction(parse =>
        {
            var id = parse.GetValue(model)!;
            var outDir = parse.GetValue(output) ?? $"harness/zoo/{id}";
            var overrides = new RecipeOverrides(parse.GetValue(steps), parse.GetValue(batch), parse.GetValue(lr), parse.GetValue(warmup), parse.GetValue(seed), parse.GetValue(threads));
            try
            {
                switch (id)
                {
                    case "tiny-bert":
                        Pretrainer.Run(new PretrainOptions
                        {
                            ModelId = id, OutputDirectory = outDir, SourcesDirectory = parse.GetValue(sources), MeasureOnlySteps = parse.GetValue(measure),
                            Recipe = overrides.Apply(new MlmRecipe()),
                        }, Console.Out);
                        break;
                    case CausalLmPretrainer.ModelId:
                        CausalLmPretrainer.Run(new CausalLmPretrainOptions
                        {
                            ModelId = id, OutputDirectory = outDir, SourcesDirectory = parse.GetValue(sources), MeasureOnlySteps = parse.GetValue(measure),
                            Recipe = overrides.Apply(new CausalLmRecipe()),
                        }, Console.Out);
                        break;
                    case var _ when MaskedPatchBackbone.Find(id) is { } backbone:
                        var fetched = parse.GetValue(sources)
                            ?? throw new ArgumentException($"{id} is pretrained from fetched data: pass --sources .cache/sources (tasks/data/sources/fetch-media.sh fills it).");
                        MaskedPatchPretrainer.Run(new MaskedPatchOptions(backbone, outDir, fetched, overrides.Apply(backbone.DefaultRecipe), parse.GetValue(measure)), Console.Out);
                        break;
                    default:
                        Console.Error.WriteLine($"pretrain knows how to build {string.Join(" and ", Models.Select(m => $"'{m}'"))} (got '{id}').");
                        return ExitCodes.Usage;
                }
            }
            catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return ExitCodes.Usage; }
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }
}
