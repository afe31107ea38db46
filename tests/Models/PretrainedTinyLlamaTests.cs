using System.Text.Json.Nodes;
using NUnit.Framework;
using PeftBench.Core.Models;
using PeftBench.Core.Tokenization;
using PeftBench.Harness;
using PeftBench.Harness.Cli;
using PeftBench.Harness.Pretraining;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Tests.Models;

/// <summary>
/// The shipped tiny-llama is what its manifest says: the recipe replays to the recorded first losses, the weights
/// predict held-out text far better than any unigram model, cached and uncached generation agree, the tokenizer
/// round-trips, and the checksums guard every file.
/// </summary>
public sealed class PretrainedTinyLlamaTests
{
    private const int ReplaySteps = 5;
    private const double RelativeTolerance = 1e-4;

    private static readonly ZooEntry Entry = new ModelZoo().Shipped.Get(CausalLmPretrainer.ModelId);
    private static string Folder => Entry.Folder;
    private static CausalLmRecipe Recipe => Entry.Manifest.RecipeAs<CausalLmRecipe>();

    [Test]
    public void FirstStepsReplayToTheRecordedLosses()
    {
        Assert.That(Entry.Manifest.FirstLosses, Has.Length.AtLeast(ReplaySteps));
        // The replay pins libtorch's (process-wide) thread count to the recorded one; give the other tests theirs back.
        var threads = get_num_threads();
        List<float> losses;
        try { losses = CausalLmPretrainer.ReplayFirstSteps(Folder, ReplaySteps); }
        finally { set_num_threads(threads); }
        for (int i = 0; i < ReplaySteps; i++)
            Assert.That(losses[i], Is.EqualTo(Entry.Manifest.FirstLosses[i]).Within(RelativeTolerance * Math.Abs(Entry.Manifest.FirstLosses[i])),
                $"step {i + 1} (threads {Recipe.Threads}, seed {Recipe.Seed})");
    }

    [Test]
    public void HeldOutLossBeatsAUnigramModelByAClearMargin()
    {
        var (train, heldOut) = Pretrainer.SplitHeldOut(CorpusRecord.ReadGzip(Path.Combine(Folder, CausalLmPretrainer.CorpusFile)), Recipe.HeldOutFraction);
        var tokenizer = DecoderTokenizers.FromFolder(Folder);
        // A unigram model (add-one) fitted on the first 600 training documents (~15% of them), so the test stays fast.
        var unigramTokens = train.Take(600).SelectMany(r => CausalLmPacking.Document(tokenizer, r.Text)).ToList();
        var model = HfDecoderLoader.LoadCausalLm(Folder).Model;
        model.eval();
        foreach (var domain in CorpusRecord.Domains)
        {
            var windows = CausalLmPacking.Pack(heldOut.Where(r => r.Domain == domain).Select(r => r.Text), tokenizer, 128).Take(6).ToList();
            Assert.That(windows, Is.Not.Empty, domain);
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var all = tensor(windows.SelectMany(w => w).Select(i => (long)i).ToArray(), new long[] { windows.Count, 129 });
            var (inputs, targets) = (all.narrow(1, 0, 128), all.narrow(1, 1, 128));
            var logits = model.call(inputs, ones_like(inputs));
            var loss = F.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets.reshape(-1)).item<float>();
            var (unigram, _) = UnigramBaseline.Score(unigramTokens, targets.reshape(-1).data<long>().ToArray(), tokenizer.VocabSize, firstOrdinaryId: 0);
            TestContext.Out.WriteLine($"{domain}: held-out loss {loss:F3} vs unigram {unigram:F3} over {targets.numel()} tokens");
            Assert.That(loss, Is.LessThan(unigram - 0.75), domain);
        }
        var recorded = Entry.Manifest.HeldOutAs<Dictionary<string, CausalLmHeldOut>>()["all"];
        Assert.That(recorded.Loss, Is.LessThan(recorded.UnigramLoss - 1.0), "the manifest's full held-out evaluation");
    }

    [Test]
    public void GreedyGenerationIsTheSameWithAndWithoutTheCache()
    {
        var tokenizer = DecoderTokenizers.FromFolder(Folder);
        var model = HfDecoderLoader.LoadCausalLm(Folder).Model;
        model.eval();
        string[] prompts = ["37 + 48 =", "(12 + 7) * 3 =", "Call me", "def add(a, b):\n    return"];
        var encoded = prompts.Select(p => tokenizer.Encode(p, addSpecialTokens: true)).ToList();
        int width = encoded.Max(e => e.Count);
        // Left-padded with the pad id, as generation expects.
        var ids = tensor(encoded.SelectMany(e => Enumerable.Repeat((long)tokenizer.PadId, width - e.Count).Concat(e.Select(i => (long)i))).ToArray(), new long[] { prompts.Length, width });
        var mask = tensor(encoded.SelectMany(e => Enumerable.Repeat(0L, width - e.Count).Concat(Enumerable.Repeat(1L, e.Count))).ToArray(), new long[] { prompts.Length, width });
        var options = new GenerationOptions { MaxNewTokens = 24 };
        var cached = model.Generate(ids, mask, options with { UseCache = true });
        var uncached = model.Generate(ids, mask, options with { UseCache = false });
        Assert.That(cached.data<long>().ToArray(), Is.EqualTo(uncached.data<long>().ToArray()));
        for (int row = 0; row < prompts.Length; row++)
            TestContext.Out.WriteLine($"{prompts[row]} ⇒ {tokenizer.Decode(cached[row].narrow(0, width, cached.shape[1] - width).data<long>().ToArray().Select(i => (int)i))}");
    }

    [TestCase("Call me Ishmael. Some years ago—never mind how long precisely—I thought I would sail.")]
    [TestCase("37 + 48 = 85\n(12 + 7) * (3 + 4) = 19 * 7 = 133\n-3 * 14 = -42\n1234567890")]
    [TestCase("def add(a, b):\n\treturn a  +  b\n\n\nclass X:\n    pass   \n")]
    [TestCase("const sum = (...nums) => nums.reduce((acc, n) => acc + n, 0);\r\n// café, naïve, 日本語, 😀")]
    [TestCase("")]
    public void TheShippedTokenizerRoundTrips(string text)
    {
        var tokenizer = DecoderTokenizers.FromFolder(Folder);
        Assert.That(tokenizer, Is.TypeOf<ByteLevelBpeDecoderTokenizer>());
        var ids = tokenizer.Encode(text, addSpecialTokens: true);
        Assert.That(ids[0], Is.EqualTo(tokenizer.BosId), "the template puts bos first, as LLaMA's does");
        Assert.That(tokenizer.Decode(ids), Is.EqualTo(text));
    }

    [Test]
    public void NumbersAreSpeltDigitByDigit()
    {
        var tokenizer = DecoderTokenizers.FromFolder(Folder);
        var pieces = tokenizer.EncodeWords("12345 + 678").Select(i => tokenizer.Decode([i])).ToList();
        Assert.That(pieces, Is.EqualTo(new[] { "1", "2", "3", "4", "5", " +", " 6", "7", "8" }));
    }

    [Test]
    public void ChecksumsCoverEveryFileAndGuardTheWeights()
    {
        var files = Directory.EnumerateFiles(Folder).Select(Path.GetFileName).Where(f => f != "manifest.json").ToList();
        Assert.That(Entry.Manifest.Sha256.Keys, Is.EquivalentTo(files));
        foreach (var (file, sha) in Entry.Manifest.Sha256)
            Assert.That(ZooManifest.Sha256Of(Path.Combine(Folder, file)), Is.EqualTo(sha), file);
        Assert.DoesNotThrow(() => ModelZoo.Verify(Entry));

        var root = Directory.CreateTempSubdirectory("zoo-llama-").FullName;
        try
        {
            var copy = Path.Combine(root, Entry.Id);
            Directory.CreateDirectory(copy);
            foreach (var f in Directory.EnumerateFiles(Folder).Where(f => !f.EndsWith(".gz", StringComparison.Ordinal)))
                File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
            File.AppendAllText(Path.Combine(copy, "tokenizer.json"), " ");
            Assert.That(() => new ModelZoo(root).LoadDecoder(Entry.Id), Throws.TypeOf<InvalidDataException>()
                .With.Message.Contains("tokenizer.json").And.Message.Contains("pretrain"));
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Test]
    public void TheZooKnowsItIsADecoder()
    {
        var zoo = new ModelZoo();
        Assert.That(() => zoo.Describe(Entry.Id), Throws.TypeOf<InvalidDataException>().With.Message.Contains("llama decoder"));
        Assert.That(ModelResolver.Resolve(Entry.Id).ModelType, Is.EqualTo("llama"));
        var loaded = zoo.LoadDecoder(Entry.Id);
        Assert.That(loaded.Backbone.parameters().Sum(p => p.numel()), Is.EqualTo(Entry.Manifest.ParameterCount), "tied: the backbone holds every parameter");
        Assert.That(loaded.Backbone.Config.NumKeyValueHeads, Is.EqualTo(2));
        Assert.That(new Composition().ModelDescriptions().Where(d => d.Id.StartsWith(Entry.Id, StringComparison.Ordinal)).Select(d => (d.Id, d.ModelType, d.ParameterCount)),
            Is.EquivalentTo(new[] { (Entry.Id, "llama", Entry.Manifest.ParameterCount), (Entry.Id + ":random-init", "llama", Entry.Manifest.ParameterCount) }));
    }

    [Test]
    public void ParamsCountsLoraOnItWithTheScoreHead()
    {
        var output = new StringWriter();
        var exit = ParamsCommand.Execute(new ParamsCommand.Request(Entry.Id, "lora", [], 2, Json: true), new Composition(), output, new StringWriter());
        Assert.That(exit, Is.EqualTo(ExitCodes.Ok));
        var json = JsonNode.Parse(output.ToString())!;
        Assert.That(json["head_params"]!.GetValue<long>(), Is.EqualTo(2 * 128), "score: 2 × d, no bias");
        Assert.That(json["total_params"]!.GetValue<long>(), Is.EqualTo(Entry.Manifest.ParameterCount + 256 + json["adapter_params"]!.GetValue<long>()));
    }
}
