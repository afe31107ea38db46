using NUnit.Framework;
using PeftBench.Harness;
using PeftBench.Harness.Planning;
using static TorchSharp.torch;

namespace PeftBench.Tests.Harness;

/// <summary>The control backbone: tiny-bert's architecture with BERT's random init, to measure what pretraining adds.</summary>
public class RandomInitControlTests
{
    private static readonly Composition Composition = new();

    [Test]
    public void RandomInitKeepsTheArchitectureAndReplacesTheWeights()
    {
        var pretrained = Composition.OpenModel("tiny-bert");
        var control = Composition.OpenModel("tiny-bert" + ZooBackboneSource.RandomInitSuffix);
        Assert.That(control.Id, Is.EqualTo("tiny-bert:random-init"));
        Assert.That(control.Sha256, Is.Not.EqualTo(pretrained.Sha256).And.Contains(pretrained.Sha256));
        Assert.That(control.ParameterCount, Is.EqualTo(pretrained.ParameterCount));

        manual_seed(7);
        using var a = control.CreateBackbone(CPU);
        manual_seed(7);
        using var b = control.CreateBackbone(CPU);
        using var p = pretrained.CreateBackbone(CPU);
        var wa = a.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        var wb = b.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        var wp = p.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        const string query = "encoder.layer.0.attention.self.query.weight";
        Assert.That(wa[query].eq(wb[query]).all().item<bool>(), "same seed, same random weights");
        Assert.That(wa[query].eq(wp[query]).all().item<bool>(), Is.False, "random init replaces the pretrained weights");
        Assert.That(wa[query].std().item<float>(), Is.EqualTo(0.02f).Within(0.002f));
        Assert.That(wa["embeddings.LayerNorm.weight"].eq(1).all().item<bool>());
    }

    [Test]
    public void TheDecoderControlGetsLlamasInit()
    {
        var pretrained = Composition.OpenModel("tiny-llama");
        var control = Composition.OpenModel("tiny-llama" + ZooBackboneSource.RandomInitSuffix);
        Assert.That((control.ModelType, control.ParameterCount), Is.EqualTo(("llama", pretrained.ParameterCount)));
        manual_seed(7);
        using var a = control.CreateBackbone(CPU);
        using var p = pretrained.CreateBackbone(CPU);
        var wa = a.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        var wp = p.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        const string query = "layers.0.self_attn.q_proj.weight";
        Assert.That(wa[query].eq(wp[query]).all().item<bool>(), Is.False);
        Assert.That(wa[query].std().item<float>(), Is.EqualTo(0.02f).Within(0.002f));
        Assert.That(wa["layers.0.input_layernorm.weight"].eq(1).all().item<bool>());
    }

    [Test]
    public void TheControlIsListedBesideTheShippedModel()
    {
        Assert.That(Composition.ModelDescriptions().Select(d => d.Id), Is.SupersetOf(new[] { "tiny-bert", "tiny-bert:random-init" }));
    }
}
