using NUnit.Framework;
using PeftBench.Core.Models;
using PeftBench.Core.Tokenization;
using PeftBench.Harness.Pretraining;
using static TorchSharp.torch;

namespace PeftBench.Tests.Models;

/// <summary>
/// The shipped tiny-bert is what its manifest says: the recipe replays to the recorded first losses, and the
/// weights predict held-out masked tokens better than any context-free guess.
/// </summary>
public sealed class PretrainedTinyBertTests
{
    /// <summary>Replayed steps; few, so the test runs in seconds.</summary>
    private const int ReplaySteps = 5;

    /// <summary>Relative tolerance on each replayed loss. Same code, seed and thread count give identical
    /// losses on one machine; the slack only absorbs kernel differences between CPUs.</summary>
    private const double RelativeTolerance = 1e-4;

    private static string Folder => new ModelZoo().Shipped.Get("tiny-bert").Folder;

    [Test]
    public void FirstStepsReplayToTheRecordedLosses()
    {
        var manifest = ZooManifest.Read(Path.Combine(Folder, "manifest.json"));
        Assert.That(manifest.FirstLosses, Has.Length.AtLeast(ReplaySteps));
        // The replay pins libtorch's (process-wide) thread count to the recorded one; give the other tests theirs back.
        var threads = TorchSharp.torch.get_num_threads();
        List<float> losses;
        try { losses = Pretrainer.ReplayFirstSteps(Folder, ReplaySteps); }
        finally { TorchSharp.torch.set_num_threads(threads); }
        for (int i = 0; i < ReplaySteps; i++)
            Assert.That(losses[i], Is.EqualTo(manifest.FirstLosses[i]).Within(RelativeTolerance * Math.Abs(manifest.FirstLosses[i])), $"step {i + 1} (threads {manifest.RecipeAs<MlmRecipe>().Threads}, seed {manifest.RecipeAs<MlmRecipe>().Seed})");
    }

    [Test]
    public void BeatsTheBestConstantGuessOnHeldOutMaskedTokens()
    {
        var manifest = ZooManifest.Read(Path.Combine(Folder, "manifest.json"));
        var (_, heldOut) = Pretrainer.SplitHeldOut(GzipLines.Read(Path.Combine(Folder, "corpus.txt.gz")), manifest.RecipeAs<MlmRecipe>().HeldOutFraction);
        var tokenizer = WordPieceTextTokenizer.FromFolder(Folder);
        var chunks = PackedChunks.Pack(heldOut, tokenizer, manifest.RecipeAs<MlmRecipe>().SequenceLength).Take(40).ToList();
        var specials = new HashSet<int> { tokenizer.PadId, tokenizer.ClsId, tokenizer.SepId, tokenizer.MaskId };
        var batch = MlmMasking.Mask(chunks, manifest.RecipeAs<MlmRecipe>().MaskRate, tokenizer.MaskId, specials.Max() + 1, tokenizer.VocabSize, specials, new Random(2024));
        Assert.That(batch.Targets, Has.Length.GreaterThan(300));

        var model = BertForMaskedLm.Load(Folder);
        model.eval();
        using var _ = no_grad();
        var ids = tensor(batch.InputIds, new long[] { batch.BatchSize, batch.SequenceLength });
        var predicted = model.MaskedLogits(ids, ones_like(ids), tensor(batch.Positions)).argmax(1).data<long>().ToArray();
        var accuracy = predicted.Zip(batch.Targets).Count(p => p.First == p.Second) / (double)batch.Targets.Length;
        // The best constant guess in hindsight (the most frequent target) bounds every unigram predictor from above.
        var bestConstant = batch.Targets.GroupBy(t => t).Max(g => g.Count()) / (double)batch.Targets.Length;
        TestContext.Out.WriteLine($"held-out masked accuracy {accuracy:P1} vs best constant {bestConstant:P1} over {batch.Targets.Length} tokens");
        Assert.That(accuracy, Is.GreaterThan(bestConstant + 0.05));
    }
}
