using System.Text.Json.Nodes;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Models;
using PeftBench.Core.Seeding;
using PeftBench.Core.Tokenization;
using PeftBench.Reports;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// Produces a zoo encoder end to end: corpus → WordPiece vocabulary → masked-LM pretraining → Hugging Face
/// folder (<c>config.json</c>, backbone-only <c>model.safetensors</c>, <c>mlm_head.safetensors</c>,
/// <c>vocab.txt</c>, <c>tokenizer_config.json</c>) → <c>manifest.json</c> with checksums, recipe, losses and
/// held-out quality. The entry point the CLI's <c>pretrain</c> command calls.
/// </summary>
public static class Pretrainer
{
    public const string ReproduceCommand = "dotnet run --project harness -- pretrain --model tiny-bert --out harness/zoo/tiny-bert";

    public static ZooManifest? Run(PretrainOptions options, TextWriter log)
    {
        var problems = options.Validate().ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join(" ", problems));
        var recipe = options.Recipe;
        var seeds = new SeedTree(recipe.Seed);
        var outDir = Path.GetFullPath(options.OutputDirectory);
        Directory.CreateDirectory(outDir);
        var corpusPath = Path.Combine(outDir, "corpus.txt.gz");
        var vocabPath = Path.Combine(outDir, "vocab.txt");

        List<string> lines;
        if (options.SourcesDirectory is { } sources)
        {
            lines = CorpusBuilder.Build(sources, options.MaxEmailCharacters, seeds).ToList();
            GzipLines.Write(corpusPath, lines);
            log.WriteLine($"corpus: {lines.Count} lines, {lines.Sum(l => (long)l.Length + 1)} characters → {corpusPath}");
        }
        else lines = GzipLines.Read(corpusPath);
        var (train, heldOut) = SplitHeldOut(lines, recipe.HeldOutFraction);

        if (options.SourcesDirectory is not null || !File.Exists(vocabPath))
        {
            var vocab = WordPieceVocabBuilder.Build(train, options.VocabularySize);
            AtomicFile.WriteAllText(vocabPath, string.Join("\n", vocab) + "\n");
            log.WriteLine($"vocabulary: {vocab.Count} entries → {vocabPath}");
        }
        AtomicFile.WriteAllText(Path.Combine(outDir, "tokenizer_config.json"),
            new JsonObject { ["tokenizer_class"] = "BertTokenizer", ["do_lower_case"] = true, ["model_max_length"] = 128 }.ToJsonString(ZooManifest.JsonOptions) + "\n");
        var tokenizer = WordPieceTextTokenizer.FromFolder(outDir);
        var config = PretrainOptions.TinyBertConfig(tokenizer.VocabSize);
        AtomicFile.WriteAllText(Path.Combine(outDir, "config.json"), config.ToJson() + "\n");

        var trainer = new MlmTrainer(recipe, config, tokenizer);
        var progress = new PretrainProgress(log, recipe.Steps, trainer.Schedule, trainer.StepMilliseconds);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var losses = trainer.Train(train, options.MeasureOnlySteps, progress.Record);
        var trainSeconds = clock.Elapsed.TotalSeconds;
        var median = progress.MedianMilliseconds;
        log.WriteLine(FormattableString.Invariant($"median {median:F1} ms/step over {losses.Count} steps, {trainSeconds:F0} s"));
        if (options.MeasureOnlySteps is not null) return null;

        Safetensors.Write(Path.Combine(outDir, "model.safetensors"), trainer.Model.Encoder.state_dict());
        Safetensors.Write(Path.Combine(outDir, "mlm_head.safetensors"), trainer.Model.Head.state_dict().Select(kv => KeyValuePair.Create("cls." + kv.Key, kv.Value)));

        var heldOutChunks = PackedChunks.Pack(heldOut, tokenizer, recipe.SequenceLength).ToList();
        var (evalLoss, evalAccuracy, count, targets) = trainer.Evaluate(heldOutChunks, "held-out-mask");
        var trainTokens = PackedChunks.Pack(train, tokenizer, recipe.SequenceLength).SelectMany(c => c).ToList();
        var (uniLoss, uniAccuracy) = UnigramBaseline.Score(trainTokens, targets, tokenizer.VocabSize, trainer.FirstOrdinaryId);
        log.WriteLine(FormattableString.Invariant($"held-out: {count} masked tokens, loss {evalLoss:F3} acc {evalAccuracy:P1}; unigram loss {uniLoss:F3} acc {uniAccuracy:P1}"));

        var files = new[] { "config.json", "model.safetensors", "mlm_head.safetensors", "vocab.txt", "tokenizer_config.json", "corpus.txt.gz" };
        var manifest = new ZooManifest
        {
            Id = options.ModelId,
            Description = "Tiny BERT (4 layers, d 128, 4 heads) pretrained by this project with masked-LM on English WordNet glosses and SpamAssassin mail bodies.",
            Sha256 = ZooManifest.Checksums(outDir, files),
            Config = ZooManifest.ToSection(config),
            ParameterCount = trainer.Model.Encoder.parameters().Sum(p => p.numel()),
            ModelBytes = new FileInfo(Path.Combine(outDir, "model.safetensors")).Length,
            Corpus = new CorpusDescription
            {
                Description = "WordNet 3.1 glosses (definitions with their example sentences) of data.noun/verb/adj/adv, and SpamAssassin ham+spam message bodies with headers, MIME parts, HTML, URLs, addresses and quoted-printable removed; ASCII, lower-cased, deduplicated, seeded shuffle; mail sampled to a character budget. UCI sentiment sentences excluded (downstream task). Last lines are held out.",
                Sources = [CorpusBuilder.WordNetPackage, CorpusBuilder.SpamAssassinPackage],
                Lines = lines.Count,
                HeldOutLines = heldOut.Count,
                TrainTokens = trainTokens.Count,
                Characters = lines.Sum(l => (long)l.Length + 1),
            },
            Recipe = ZooManifest.ToSection(recipe),
            Command = FormattableString.Invariant($"{ReproduceCommand} --sources .cache/sources --steps {recipe.Steps} --batch-size {recipe.BatchSize} --lr {recipe.PeakLearningRate} --warmup {recipe.WarmupSteps} --seed {recipe.Seed} --threads {recipe.Threads}"),
            FirstLosses = losses.Take(20).ToArray(),
            LossCurve = progress.Curve,
            HeldOut = ZooManifest.ToSection(new HeldOutEvaluation { MaskedTokens = count, MlmLoss = evalLoss, Accuracy = evalAccuracy, UnigramLoss = uniLoss, UnigramAccuracy = uniAccuracy }),
            Timing = new PretrainTiming { MedianMsPerStep = median, TrainSeconds = trainSeconds, Note = $"{recipe.Threads} threads on a shared 2-core CPU machine" },
        };
        WriteManifest(outDir, manifest);
        return manifest;
    }

    public static void WriteManifest(string folder, ZooManifest manifest) =>
        AtomicFile.WriteAllText(Path.Combine(folder, "manifest.json"), manifest.ToJson() + "\n");

    /// <summary>Re-runs the first <paramref name="steps"/> steps of a shipped model's recipe from its own corpus and vocabulary.</summary>
    public static List<float> ReplayFirstSteps(string modelFolder, int steps)
    {
        var manifest = ZooManifest.Read(Path.Combine(modelFolder, "manifest.json"));
        var lines = GzipLines.Read(Path.Combine(modelFolder, manifest.Corpus.File));
        var recipe = manifest.RecipeAs<MlmRecipe>();
        var (train, _) = SplitHeldOut(lines, recipe.HeldOutFraction);
        var tokenizer = WordPieceTextTokenizer.FromFolder(modelFolder);
        var trainer = new MlmTrainer(recipe, manifest.ConfigAs<EncoderConfig>(), tokenizer);
        return trainer.Train(train, steps);
    }

    /// <summary>The corpus is shipped shuffled; its last ⌈fraction·n⌉ lines are the held-out split.</summary>
    public static (List<T> Train, List<T> HeldOut) SplitHeldOut<T>(IReadOnlyList<T> lines, double fraction)
    {
        var heldOut = (int)Math.Ceiling(lines.Count * fraction);
        return (lines.Take(lines.Count - heldOut).ToList(), lines.Skip(lines.Count - heldOut).ToList());
    }
}
