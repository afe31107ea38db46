using NUnit.Framework;
using PeftBench.Core.Models;
using static TorchSharp.torch;

namespace PeftBench.Tests.Models;

/// <summary>The zoo contract: shipped ids resolve and describe themselves cheaply, checksums guard the weights, typos get suggestions.</summary>
public sealed class ModelZooTests
{
    [Test]
    public void DescribesTinyBertWithoutLoadingIt()
    {
        var info = new ModelZoo().Describe("tiny-bert");
        Assert.That(info.Shipped, Is.True);
        Assert.That(info.Config.HiddenSize, Is.EqualTo(128));
        Assert.That(info.Config.NumHiddenLayers, Is.EqualTo(4));
        Assert.That(info.ModelSha256, Has.Length.EqualTo(64));
        var manifest = ZooManifest.Read(Path.Combine(info.Folder, "manifest.json"));
        Assert.That(info.ParameterCount, Is.EqualTo(manifest.ParameterCount));
    }

    [Test]
    public void LoadsTinyBertWithItsTokenizer()
    {
        var model = new ModelZoo().Load("tiny-bert");
        model.Encoder.eval();
        var e = model.Tokenizer.Encode("a small domesticated cat", "the dog barked", 64);
        using var _ = no_grad();
        var ids = tensor(e.InputIds.Select(i => (long)i).ToArray(), new long[] { 1, e.Length });
        var hidden = model.Encoder.Encode(ids, ones_like(ids), tensor(e.TokenTypeIds.Select(i => (long)i).ToArray(), new long[] { 1, e.Length }));
        Assert.That(hidden.shape, Is.EqualTo(new long[] { 1, e.Length, 128 }));
        Assert.That(e.InputIds, Has.None.EqualTo(1), "ordinary English should not hit [UNK]");
        Assert.That(model.Info.ParameterCount, Is.EqualTo(model.Encoder.parameters().Sum(p => p.numel())));
    }

    [Test]
    public void TamperedWeightsFailVerification()
    {
        var source = new ModelZoo().Shipped.Get("tiny-bert").Folder;
        var root = Directory.CreateTempSubdirectory("zoo-test-").FullName;
        try
        {
            var copy = Path.Combine(root, "tiny-bert");
            Directory.CreateDirectory(copy);
            foreach (var f in Directory.EnumerateFiles(source).Where(f => !f.EndsWith(".gz", StringComparison.Ordinal)))
                File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
            var weights = Path.Combine(copy, "model.safetensors");
            var bytes = File.ReadAllBytes(weights);
            bytes[^1] ^= 0x01;
            File.WriteAllBytes(weights, bytes);
            Assert.That(() => new ModelZoo(root).Load("tiny-bert"), Throws.TypeOf<InvalidDataException>()
                .With.Message.Contains("sha256").And.Message.Contains("pretrain"));
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Test]
    public void UnknownIdsSuggestNearMatches()
    {
        Assert.That(() => new ModelZoo().Describe("tiny-brt"), Throws.TypeOf<KeyNotFoundException>().With.Message.Contains("'tiny-bert'"));
    }

    [Test]
    public void AnyHuggingFaceFolderLoadsByPath()
    {
        var dir = Directory.CreateTempSubdirectory("zoo-path-").FullName;
        try
        {
            var (_, state) = TinyFolders.Source(9);
            TinyFolders.Write(dir, state);
            File.WriteAllLines(Path.Combine(dir, "vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello"]);
            var model = new ModelZoo().Load(dir);
            Assert.That(model.Info.Shipped, Is.False);
            Assert.That(model.Info.ParameterCount, Is.EqualTo(state.Values.Sum(t => t.numel())));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
