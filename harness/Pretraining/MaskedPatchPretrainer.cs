using PeftBench.Core.Checkpoints;
using PeftBench.Core.Models;
using PeftBench.Core.Seeding;
using PeftBench.Reports;

namespace PeftBench.Harness.Pretraining;

/// <summary>Options of <c>pretrain</c> for a masked-patch backbone (<c>tiny-vit</c>, <c>tiny-ast</c>).</summary>
public sealed record MaskedPatchOptions(MaskedPatchBackbone Backbone, string OutputDirectory, string SourcesDirectory, MaskedPatchRecipe Recipe, int? MeasureOnlySteps);

/// <summary>
/// Produces <c>tiny-vit</c> or <c>tiny-ast</c> end to end: data from the fetched sources → masked-patch pretraining →
/// Hugging Face folder (<c>config.json</c>, <c>preprocessor_config.json</c>, backbone-only <c>model.safetensors</c>,
/// <c>mim_head.safetensors</c>) plus the first steps' examples and a held-out slice → <c>manifest.json</c> with
/// checksums, data and recipe, first losses, loss curve, held-out loss against the zero baseline (computed on the
/// files as written), the linear-probe sanity check and timing.
/// </summary>
public static class MaskedPatchPretrainer
{
    public const int HeldOutSeed = 2024;

    public static ZooManifest? Run(MaskedPatchOptions options, TextWriter log)
    {
        var recipe = options.Recipe;
        var problems = recipe.Validate().ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join(" ", problems));
        var spec = options.Backbone;
        var outDir = Path.GetFullPath(options.OutputDirectory);
        var data = spec.Load(options.SourcesDirectory, recipe, log);
        var seeds = new SeedTree(recipe.Seed);

        var trainer = new MaskedPatchTrainer(recipe, spec.Config);
        var progress = new PretrainProgress(log, recipe.Steps, trainer.Schedule, trainer.StepMilliseconds);
        log.WriteLine(FormattableString.Invariant($"{spec.Id}: {trainer.Model.Backbone.parameters().Sum(p => p.numel()):N0} backbone parameters, {trainer.MaskedPerExample}/{spec.Config.NumPatches} patches masked, {recipe.Steps} steps of {recipe.BatchSize}, {recipe.Threads} threads"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var losses = trainer.Train(data.Train, ExampleOrder.Shuffled(data.Train.Count, seeds.Random("order")), options.MeasureOnlySteps, progress.Record);
        var trainSeconds = clock.Elapsed.TotalSeconds;
        log.WriteLine(FormattableString.Invariant($"median {progress.MedianMilliseconds:F1} ms/step over {losses.Count} steps, {trainSeconds:F0} s"));
        if (options.MeasureOnlySteps is not null) return null;

        Directory.CreateDirectory(outDir);
        HfVisionLoader.Save(outDir, trainer.Model.Backbone);
        Safetensors.Write(Path.Combine(outDir, MaskedPatchModel.HeadFile), trainer.Model.HeadState());
        var replay = ExampleOrder.Shuffled(data.Train.Count, seeds.Random("order")).Take(recipe.ReplaySteps * recipe.BatchSize).ToList();
        var shipped = spec.WriteShipped(outDir, data, replay);

        // Held-out quality of the files as written, not of the in-memory weights.
        var model = MaskedPatchModel.Load(outDir);
        var heldOut = MaskedPatchTrainer.Evaluate(model, recipe, data.HeldOut, HeldOutSeed);
        log.WriteLine(FormattableString.Invariant($"held-out: {heldOut.Examples} examples, {recipe.ReconstructionLoss} {heldOut.Loss:F4} vs zero baseline {heldOut.ZeroBaselineLoss:F4}{(heldOut.DiscriminativeAccuracy is { } a ? $", discrimination {a:P1} (chance {heldOut.DiscriminativeChance:P1})" : "")}"));
        var probe = Probe(model.Backbone, MaskedPatchTrainer.CreateInitialised(spec.Config, recipe).Backbone, data.Probe, recipe.Seed);
        log.WriteLine("linear probe: " + string.Join("; ", probe.PretrainedAccuracy.Select(kv => FormattableString.Invariant($"{kv.Key} {kv.Value:P1} vs random init {probe.RandomInitAccuracy[kv.Key]:P1}"))));

        var files = new[] { "config.json", "model.safetensors", MaskedPatchModel.HeadFile }.Concat(shipped).ToList();
        var manifest = new ZooManifest
        {
            Id = spec.Id,
            Description = spec.Description,
            Sha256 = ZooManifest.Checksums(outDir, files),
            Config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "config.json")))!.AsObject(),
            ParameterCount = model.Backbone.parameters().Sum(p => p.numel()),
            ModelBytes = new FileInfo(Path.Combine(outDir, "model.safetensors")).Length,
            Corpus = data.Corpus,
            Recipe = ZooManifest.ToSection(recipe),
            Command = Command(spec, recipe),
            FirstLosses = losses.Take(20).ToArray(),
            LossCurve = progress.Curve,
            HeldOut = ZooManifest.ToSection(heldOut with { LinearProbe = probe }),
            // Masked patch modelling never trains CLS (or AST's distillation token): downstream heads pool the patches.
            ClassifierPooling = PatchPooling.MeanPatches.Name(),
            Timing = new PretrainTiming
            {
                MedianMsPerStep = progress.MedianMilliseconds, TrainSeconds = trainSeconds,
                Note = $"{recipe.Threads} threads, OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "unset"}, on a shared 2-core CPU machine (other jobs running); train_seconds is the training loop (batches built in it); data loading, held-out evaluation and the probe are not included",
            },
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "manifest.json"), manifest.ToJson() + "\n");
        return manifest;
    }

    /// <summary>The exact command that rebuilds a model with this recipe.</summary>
    public static string Command(MaskedPatchBackbone spec, MaskedPatchRecipe recipe) => FormattableString.Invariant(
        $"dotnet run --project harness -c Release -- pretrain --model {spec.Id} --out harness/zoo/{spec.Id} --sources .cache/sources --steps {recipe.Steps} --batch-size {recipe.BatchSize} --lr {recipe.PeakLearningRate} --warmup {recipe.WarmupSteps} --seed {recipe.Seed} --threads {recipe.Threads}");

    /// <summary>Re-runs the first <paramref name="steps"/> steps of a shipped model's recipe on its shipped replay examples.</summary>
    public static List<float> ReplayFirstSteps(string modelFolder, int steps)
    {
        var (spec, manifest) = Open(modelFolder);
        var recipe = manifest.RecipeAs<MaskedPatchRecipe>();
        var replay = spec.OpenShipped(modelFolder, MaskedPatchBackbone.ReplaySlice);
        var trainer = new MaskedPatchTrainer(recipe, HfVisionLoader.ReadConfig(modelFolder));
        return trainer.Train(replay, Enumerable.Range(0, replay.Count), steps);
    }

    /// <summary>The shipped model's masked-patch loss on its shipped held-out slice, with the zero baseline.</summary>
    public static MaskedPatchHeldOut EvaluateShipped(string modelFolder)
    {
        var (spec, manifest) = Open(modelFolder);
        return MaskedPatchTrainer.Evaluate(MaskedPatchModel.Load(modelFolder), manifest.RecipeAs<MaskedPatchRecipe>(),
            spec.OpenShipped(modelFolder, MaskedPatchBackbone.HeldOutSlice), HeldOutSeed);
    }

    private static (MaskedPatchBackbone Spec, ZooManifest Manifest) Open(string modelFolder)
    {
        var manifest = ZooManifest.Read(Path.Combine(modelFolder, "manifest.json"));
        var spec = MaskedPatchBackbone.Find(manifest.Id) ?? throw new ArgumentException($"{modelFolder}: '{manifest.Id}' is not a masked-patch backbone.");
        return (spec, manifest);
    }

    private static LinearProbeResult Probe(PatchTransformer pretrained, PatchTransformer randomInit, ProbeData probe, long seed)
    {
        LinearProbeResult result = new()
        {
            Task = probe.Task, TrainExamples = probe.Train.Count, TestExamples = probe.Test.Count, Classes = probe.Classes, Classifier = LinearProbe.Classifier,
        };
        foreach (var (backbone, accuracies) in new[] { (pretrained, result.PretrainedAccuracy), (randomInit, result.RandomInitAccuracy) })
        {
            var train = LinearProbe.Features(backbone, probe.Train, seed);
            var test = LinearProbe.Features(backbone, probe.Test, seed + 1);
            foreach (var feature in train.Keys)
                accuracies[feature] = LinearProbe.Accuracy(train[feature], probe.TrainLabels, test[feature], probe.TestLabels, probe.Classes, seed);
        }
        return result;
    }
}
