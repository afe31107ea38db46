using NUnit.Framework;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using PeftBench.Methods;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Tests.Methods;

/// <summary>
/// MAM adapter, UniPELT, MoE-LoRA and MoLA beyond the catalog contract: router and gate math against hand computation,
/// top-k renormalisation, the load-balancing loss on known routings, parameter counts against their formulas (trained
/// and saved), MoLA's experts per layer, and training on the decoder and ViT families.
/// </summary>
[TestFixture]
public sealed class HybridAndMixtureMethodTests
{
    private static readonly string[] Methods = ["mam-adapter", "unipelt", "moe-lora", "mola"];
    private static readonly string[] Families = ["gpt2", "llama", "vit"];

    public static IEnumerable<TestCaseData> MethodsOnFamilies() =>
        from family in Families from method in Methods select new TestCaseData(family, method).SetArgDisplayNames(family, method);

    [OneTimeSetUp]
    public void PinThreads() => torch.set_num_threads(1);

    private static IPeftMethod Method(string id) => MethodCatalog.Create().Get(id);

    private static MethodContext Context(ulong seed) => new(CPU, new Generator(seed, CPU));

    private static float MaxAbs(Tensor a, Tensor b)
    {
        using var _ = NewDisposeScope();
        return (a - b).abs().max().item<float>();
    }

    private static float[] Values(Tensor t) => t.detach().contiguous().data<float>().ToArray();

    // ---- routing ----

    [Test]
    public void RouterKeepsTheTopTwoAndRenormalisesThem()
    {
        using var logits = tensor(new float[] { 1, 2, 3, 0, /**/ 0, 0, 5, 5 }, new long[] { 2, 4 });
        var (weights, probabilities, selected) = MixtureOfLoraExperts.Route(logits, 2);
        // Row 0: softmax(1, 2, 3, 0); the top two are experts 2 and 1, weighted e³/(e³ + e²) and e²/(e³ + e²).
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3) + 1, e2 = Math.Exp(2), e3 = Math.Exp(3);
        Assert.Multiple(() =>
        {
            Assert.That(Values(probabilities[0]), Is.EqualTo(new[] { Math.E / z, e2 / z, e3 / z, 1 / z }).Within(1e-6));
            Assert.That(selected[0].data<long>().ToArray(), Is.EqualTo(new long[] { 2, 1 }));
            Assert.That(Values(weights[0]), Is.EqualTo(new[] { 0, e2 / (e2 + e3), e3 / (e2 + e3), 0 }).Within(1e-6));
            // Row 1: two experts tie at the top; they share the mixture equally, the others get nothing.
            Assert.That(Values(weights[1]), Is.EqualTo(new[] { 0, 0, 0.5, 0.5 }).Within(1e-6));
            Assert.That(Values(weights.sum(1)), Is.EqualTo(new[] { 1.0, 1.0 }).Within(1e-6), "renormalised top-k weights sum to 1");
        });
        // With k = E the renormalised mixture is the dense softmax.
        var (dense, all, _) = MixtureOfLoraExperts.Route(logits, 4);
        Assert.That(MaxAbs(dense, all), Is.LessThan(1e-7f));
    }

    [Test]
    public void LoadBalancingLossIsOneWhenBalancedAndGrowsWhenRoutingCollapses()
    {
        const int experts = 4;
        // Uniform router probabilities: E·Σ f_i·(1/E) = Σ f_i = 1, whichever experts the ties sent the tokens to.
        using var uniform = full(6, experts, 0.25f);
        using var anyChoice = tensor(new long[] { 0, 1, 0, 1, 2, 3, 0, 1, 0, 1, 2, 3 }, new long[] { 6, 2 });
        Assert.That(MixtureOfLoraExperts.LoadBalancingLoss(uniform, anyChoice, experts).item<float>(), Is.EqualTo(1f).Within(1e-6));

        // Collapsed: every token puts probability 0.7 on expert 0 and 0.1 on the rest, and picks experts 0 and 1:
        // f = (½, ½, 0, 0), P = (0.7, 0.1, 0.1, 0.1) → 4·(0.35 + 0.05) = 1.6.
        using var collapsed = tensor(new float[] { 0.7f, 0.1f, 0.1f, 0.1f }).expand(6, experts).contiguous();
        using var toFirstTwo = tensor(new long[] { 0, 1 }).expand(6, 2).contiguous();
        Assert.That(MixtureOfLoraExperts.LoadBalancingLoss(collapsed, toFirstTwo, experts).item<float>(), Is.EqualTo(1.6f).Within(1e-6));

        // A hand-worked uneven routing: 2 tokens, top-1, P = mean((0.6, 0.4), (0.2, 0.8)) = (0.4, 0.6), f = (½, ½) → 2·0.5 = 1;
        // both tokens to expert 1: f = (0, 1) → 2·0.6 = 1.2.
        using var p = tensor(new float[] { 0.6f, 0.4f, 0.2f, 0.8f }, new long[] { 2, 2 });
        Assert.Multiple(() =>
        {
            Assert.That(MixtureOfLoraExperts.LoadBalancingLoss(p, tensor(new long[] { 0, 1 }, new long[] { 2, 1 }), 2).item<float>(), Is.EqualTo(1f).Within(1e-6));
            Assert.That(MixtureOfLoraExperts.LoadBalancingLoss(p, tensor(new long[] { 1, 1 }, new long[] { 2, 1 }), 2).item<float>(), Is.EqualTo(1.2f).Within(1e-6));
        });
    }

    [Test]
    public void ExpertsMixAsTheFormulaSays()
    {
        // d_in 3, d_out 2, E 3, r 1, top-2, α/r = 2: h = W₀x + Σ_{i∈Top2} ĝ_i·2·B_i(A_i x), checked against a loop per token.
        var config = new MoeLoraConfig { Experts = 3, Rank = 1, Alpha = 2, Dropout = 0 };
        var moe = new MixtureOfLoraExperts(3, 2, 3, config, Context(1));
        using (no_grad())
        {
            moe.lora_A.copy_(tensor(new float[] { 1, 0, 0, /**/ 0, 1, 0, /**/ 0, 0, 1 }).view(3, 1, 3));
            moe.lora_B.copy_(tensor(new float[] { 1, 2, /**/ -1, 0.5f, /**/ 3, -2 }).view(3, 2, 1));
            moe.router.copy_(tensor(new float[] { 1, 0, 0, /**/ 0, 2, 0, /**/ 0.5f, 0.5f, 0.5f }).view(3, 3));
        }
        moe.eval();
        using var x = tensor(new float[] { 0.3f, -1, 2, /**/ 1.5f, 0.2f, -0.4f }, new long[] { 1, 2, 3 });
        using var baseOutput = zeros(1, 2, 2);
        using var actual = moe.Adapt(x, baseOutput, null!);
        var a = new[] { new[] { 1f, 0, 0 }, new[] { 0f, 1, 0 }, new[] { 0f, 0, 1 } };
        var b = new[] { new[] { 1f, 2 }, new[] { -1f, 0.5f }, new[] { 3f, -2 } };
        var w = new[] { new[] { 1f, 0, 0 }, new[] { 0f, 2, 0 }, new[] { 0.5f, 0.5f, 0.5f } };
        var xs = Values(x);
        for (var t = 0; t < 2; t++)
        {
            var token = xs.Skip(3 * t).Take(3).ToArray();
            var logits = w.Select(row => row.Zip(token, (p, q) => (double)p * q).Sum()).ToArray();
            var exp = logits.Select(Math.Exp).ToArray();
            var probs = exp.Select(e => e / exp.Sum()).ToArray();
            var top = Enumerable.Range(0, 3).OrderByDescending(i => probs[i]).Take(2).ToArray();
            var expected = new double[2];
            foreach (var i in top)
            {
                var gate = probs[i] / top.Sum(j => probs[j]);
                var down = a[i].Zip(token, (p, q) => (double)p * q).Sum();
                for (var o = 0; o < 2; o++) expected[o] += gate * 2 * b[i][o] * down;
            }
            Assert.That(Values(actual[0, t]), Is.EqualTo(expected).Within(1e-5), $"token {t}");
        }
    }

    [Test]
    public void AuxiliaryLossIsTheCoefficientTimesTheRoutersMeanAndOnlyInTraining()
    {
        using var model = TinyBert.Create();
        var (batch, _) = TinyBert.Batch();
        var attachment = Method("moe-lora").Apply(model, new MoeLoraConfig(), TinyBert.Context(3));
        var routers = model.Sites.Linears.SelectMany(l => l.Adapters).OfType<MixtureOfLoraExperts>().ToList();
        // Zero routers: every probability is 1/E, so every router's loss is exactly 1 and the auxiliary loss is 0.01.
        using (no_grad()) foreach (var r in routers) r.router.zero_();

        model.eval();
        using (no_grad()) model.call(batch);
        Assert.That(attachment.AuxiliaryLoss(), Is.Null, "evaluation passes record no routing");

        model.train();
        using var logits = model.call(batch);
        using var aux = attachment.AuxiliaryLoss()!;
        Assert.That(aux.item<float>(), Is.EqualTo(0.01f).Within(1e-8));
        aux.backward();
        Assert.That(routers.All(r => r.router.grad is { } g && g.abs().sum().item<float>() > 0), "the loss reaches every router through P");
        Assert.That(attachment.AuxiliaryLoss(), Is.Null, "each routing is counted once");

        var off = Method("moe-lora").Apply(TinyBert.Create(), new MoeLoraConfig { LoadBalancingCoefficient = 0 }, TinyBert.Context(3));
        Assert.That(off.AuxiliaryLoss(), Is.Null, "coefficient 0: no auxiliary loss");
    }

    [Test]
    public void ExpertsStartAtZeroWithTheirRoutersInit()
    {
        using var model = TinyBert.Create();
        Method("moe-lora").Apply(model, new MoeLoraConfig(), TinyBert.Context(3));
        var up = model.Sites.Linears.First(l => l.Role == SiteRoles.MlpUp).Adapters.OfType<MixtureOfLoraExperts>().Single();
        using var mola = TinyBert.Create();
        Method("mola").Apply(mola, new MolaConfig(), TinyBert.Context(3));
        var query = mola.Sites.Linears.First(l => l.Role == SiteRoles.Query).Adapters.OfType<MixtureOfLoraExperts>().Single();
        Assert.Multiple(() =>
        {
            Assert.That(up.lora_A.shape, Is.EqualTo(new long[] { 8, 8, 32 }));
            Assert.That(up.lora_B.shape, Is.EqualTo(new long[] { 8, 64, 8 }));
            Assert.That(up.router.shape, Is.EqualTo(new long[] { 8, 32 }));
            Assert.That(up.lora_B.abs().max().item<float>(), Is.Zero);
            Assert.That(up.lora_A.abs().max().item<float>(), Is.LessThanOrEqualTo(1 / MathF.Sqrt(32)));
            Assert.That(up.router.std().item<float>(), Is.InRange(0.015f, 0.025f), "MixLoRA: N(0, 0.02²)");
            Assert.That(up.Scaling, Is.EqualTo(2.0), "α 16 / r 8");
            Assert.That(query.router.abs().max().item<float>(), Is.LessThanOrEqualTo(1 / MathF.Sqrt(32)));
            Assert.That(query.router.std().item<float>(), Is.GreaterThan(0.08f), "MoLA: Kaiming-uniform U(±1/√d), σ ≈ 0.10");
        });
    }

    // ---- MoLA's experts per layer ----

    [Test]
    public void MolaSpreadsExpertGroupsOverTheDepth()
    {
        int[] groups = [2, 4, 6, 8];
        Assert.Multiple(() =>
        {
            Assert.That(Mola.ExpertsPerLayer(groups, 32), Is.EqualTo(Enumerable.Repeat(2, 8).Concat(Enumerable.Repeat(4, 8)).Concat(Enumerable.Repeat(6, 8)).Concat(Enumerable.Repeat(8, 8))),
                "the release's LLaMA-2-7B allocation");
            Assert.That(Mola.ExpertsPerLayer(groups, 12), Is.EqualTo(new[] { 2, 2, 2, 4, 4, 4, 6, 6, 6, 8, 8, 8 }));
            Assert.That(Mola.ExpertsPerLayer(groups, 6), Is.EqualTo(new[] { 2, 2, 4, 6, 6, 8 }));
            Assert.That(Mola.ExpertsPerLayer(groups, 2), Is.EqualTo(new[] { 2, 6 }));
            Assert.That(Mola.ExpertsPerLayer(groups, 4), Is.EqualTo(groups), "one group per layer");
            Assert.That(Mola.ExpertsPerLayer([3, 1, 4, 1, 5], 5), Is.EqualTo(new[] { 3, 1, 4, 1, 5 }), "a list of one count per layer is used as it is");
            Assert.That(new MolaConfig { LayerExperts = "1,2, 3" }.ExpertGroups(), Is.EqualTo(new[] { 1, 2, 3 }));
        });
    }

    [Test]
    public void MolaBuildsThoseExpertsAndRefusesImpossibleCounts()
    {
        using var model = TinyBert.Create();
        var mola = Method("mola");
        mola.Apply(model, new MolaConfig(), TinyBert.Context(3));
        var perLayer = model.Sites.Linears.Where(l => l.Adapters.Count > 0)
            .GroupBy(l => l.LayerIndex).ToDictionary(g => g.Key, g => g.SelectMany(l => l.Adapters).OfType<MixtureOfLoraExperts>().Select(a => a.Experts).Distinct().ToList());
        var sites = model.Sites;
        Assert.Multiple(() =>
        {
            Assert.That(perLayer[0], Is.EqualTo(new[] { 2 }));
            Assert.That(perLayer[1], Is.EqualTo(new[] { 6 }));
            Assert.That(model.Sites.Linears.Count(l => l.Adapters.Count > 0), Is.EqualTo(12), "q, k, v, o, up, down in 2 layers (BERT has no mlp.gate)");
            Assert.That(mola.Validate(new MolaConfig { LayerExperts = "2-x-6" }, sites), Has.Some.Contains("'x'").And.Some.Contains("2-4-6-8"));
            Assert.That(mola.Validate(new MolaConfig { LayerExperts = "" }, sites), Has.Some.Contains("at least one"));
            Assert.That(mola.Validate(new MolaConfig { LayerExperts = "2-4", TopK = 3 }, sites), Has.Some.Contains("top_k 3 exceeds the 2 experts"));
            Assert.That(mola.Validate(new MolaConfig { Targets = ["mlp.gate"] }, sites), Has.Some.Contains("select no linear"));
            Assert.That(mola.Validate(new MolaConfig { Targets = ["query", "qproj"] }, sites), Has.Some.Contains("qproj"));
            Assert.That(Method("moe-lora").Validate(new MoeLoraConfig { Experts = 1 }, sites), Has.Some.Contains("top_k 2 exceeds the 1 experts"));
        });
    }

    // ---- parameter counts (tiny BERT: d 32, 2 layers, FFN 64, d_kv 32) ----

    [Test]
    public void CountsMatchTheirFormulas()
    {
        const long d = 32, ffn = 64, layers = 2, r = 8;
        long Moe(long experts, long din, long dout) => experts * (r * (din + dout) + din);
        long PrefixMlp(long l, long h) => l * d + (d * h + h) + (h * 2 * layers * d + 2 * layers * d);
        var expected = new Dictionary<string, long>
        {
            ["moe-lora"] = layers * (Moe(8, d, ffn) + Moe(8, ffn, d)),
            ["mola"] = (2 + 6) * (4 * Moe(1, d, d) + Moe(1, d, ffn) + Moe(1, ffn, d)),
            // Prefix l 30 through an MLP of width 800, parallel adapters m = d/2 = 16.
            ["mam-adapter"] = PrefixMlp(30, 800) + layers * (2 * d * 16 + d + 16),
            // Adapter m = d/16 = 2 and its gate, prefix l 10 / h 512 and its gate, gated LoRA r 8 on query and value.
            ["unipelt"] = layers * (2 * d * 2 + d + 2) + layers * (d + 1) + PrefixMlp(10, 512) + layers * (d + 1) + layers * 2 * (r * 2 * d + d + 1),
        };
        var saved = new Dictionary<string, long>
        {
            ["mam-adapter"] = 2 * layers * 30 * d + layers * (2 * d * 16 + d + 16),
            ["unipelt"] = expected["unipelt"] - PrefixMlp(10, 512) + 2 * layers * 10 * d,
        };
        foreach (var (id, count) in expected)
        {
            using var model = TinyBert.Create();
            var method = Method(id);
            var attachment = method.Apply(model, method.DefaultConfig, TinyBert.Context(3));
            Assert.Multiple(() =>
            {
                Assert.That(method.CountTrainable(model.Sites, method.DefaultConfig), Is.EqualTo(count), id);
                Assert.That(model.CountParameters().MethodTrainable, Is.EqualTo(count), $"{id} as built");
                Assert.That(attachment.SavedParameters(model), Is.EqualTo(saved.TryGetValue(id, out var s) ? s : null), $"{id} saved");
            });
        }
        Assert.That(expected["moe-lora"], Is.EqualTo(26_112));
    }

    // ---- UniPELT's gates ----

    [Test]
    public void GateIsTheMeanOverPositionsOfASigmoid()
    {
        var gate = new SeededLinear(2, 1, Context(1));
        using (no_grad())
        {
            gate.weight.copy_(tensor(new float[] { 1, -2 }).view(1, 2));
            gate.bias.fill_(0.5f);
        }
        using var x = tensor(new float[] { 1, 0, /**/ 0, 1, /**/ 2, 2, /**/ -1, -1 }, new long[] { 2, 2, 2 });
        using var g = SequenceGate.Of(gate, x);
        static double S(double v) => 1 / (1 + Math.Exp(-v));
        Assert.That(g.shape, Is.EqualTo(new long[] { 2, 1, 1 }), "one gate per example");
        Assert.That(Values(g), Is.EqualTo(new[] { (S(1.5) + S(-1.5)) / 2, (S(-1.5) + S(1.5)) / 2 }).Within(1e-6));
        using var y = tensor(new float[] { 3, 0, /**/ 0, 0, /**/ 0, 0, /**/ 0, 0 }, new long[] { 2, 2, 2 });
        Assert.That(Values(SequenceGate.Of(gate, y))[0], Is.EqualTo((S(3.5) + S(0.5)) / 2).Within(1e-6));
    }

    [Test]
    public void GatedLoraAndGatedAdapterScaleTheirUpdateByTheGate()
    {
        var host = new AdaptableLinear(2, 2, SiteRoles.Query, 0);
        var lora = new GatedLoraAdapter(host, 1, Context(1));
        using (no_grad())
        {
            lora.lora_A.copy_(tensor(new float[] { 1, 1 }).view(1, 2));
            lora.lora_B.copy_(tensor(new float[] { 2, -1 }).view(2, 1));
            lora.lora_gate.weight.zero_();
            lora.lora_gate.bias.fill_(0.3f);
        }
        using var x = tensor(new float[] { 1, 2, /**/ -1, 4 }, new long[] { 1, 2, 2 });
        using var zero = zeros(1, 2, 2);
        var g = 1 / (1 + Math.Exp(-0.3));
        // B A x = (2, −1)·(x₁ + x₂): (6, −3) and (6, −3), times G and no α/r.
        Assert.That(Values(lora.Adapt(x, zero, host)), Is.EqualTo(new[] { 6 * g, -3 * g, 6 * g, -3 * g }).Within(1e-5));
        Assert.That(lora.CanMerge, Is.False);

        var block = new BottleneckAdapter(2, 1, AdapterActivation.Relu, Context(2), BottleneckInit.Bert);
        var gated = new GatedBottleneck(block, 2, Context(3));
        var gateWeight = gated.named_parameters().Single(p => p.name == "adapter_gate.weight").parameter;
        var gateBias = gated.named_parameters().Single(p => p.name == "adapter_gate.bias").parameter;
        using (no_grad())
        {
            gateWeight.copy_(tensor(new float[] { 1, 0 }).view(1, 2));
            gateBias.zero_();
        }
        var expectedGate = (1 / (1 + Math.Exp(-1)) + 1 / (1 + Math.Exp(1))) / 2; // σ(1) and σ(−1) over the two positions
        using var h = tensor(new float[] { 1, 2, /**/ -1, 4 }, new long[] { 1, 2, 2 });
        using var expected = h + block.Delta(h) * expectedGate;
        Assert.That(MaxAbs(gated.forward(h), expected), Is.LessThan(1e-6f));
    }

    [Test]
    public void PrefixGateScalesThePrefixKeysAndValues()
    {
        // G_P fixed at ½ (zero weight, bias 0) must equal G_P = 1 (bias 200: σ = 1 in float) with the prefix MLP's output halved.
        Tensor Logits(Action<SequenceClassifier> set)
        {
            using var model = TinyBert.Create();
            Method("unipelt").Apply(model, new UniPeltConfig(), TinyBert.Context(3));
            model.eval();
            using (no_grad()) set(model);
            return TinyBert.Logits(model, TinyBert.Batch().Batch);
        }
        static IEnumerable<Parameter> Named(SequenceClassifier m, string suffix) =>
            m.named_parameters().Where(p => p.name.EndsWith(suffix, StringComparison.Ordinal)).Select(p => p.parameter);
        using var half = Logits(m =>
        {
            foreach (var p in Named(m, "prefix_gate.weight")) p.zero_();
            foreach (var p in Named(m, "prefix_gate.bias")) p.zero_();
        });
        using var halvedPrefix = Logits(m =>
        {
            foreach (var p in Named(m, "prefix_gate.weight")) p.zero_();
            foreach (var p in Named(m, "prefix_gate.bias")) p.fill_(200);
            foreach (var p in Named(m, "encoder.transform_2.weight").Concat(Named(m, "encoder.transform_2.bias"))) p.mul_(0.5);
        });
        using var whole = Logits(m =>
        {
            foreach (var p in Named(m, "prefix_gate.weight")) p.zero_();
            foreach (var p in Named(m, "prefix_gate.bias")) p.fill_(200);
        });
        Assert.Multiple(() =>
        {
            Assert.That(Named(TinyBert.Create(), "prefix_gate.weight"), Is.Empty, "sanity: the plain model has no gates");
            Assert.That(MaxAbs(half, halvedPrefix), Is.LessThan(1e-5f));
            Assert.That(MaxAbs(half, whole), Is.GreaterThan(1e-4f), "the gate changes the output");
        });
    }

    // ---- other families (decoders, ViT) ----

    [TestCaseSource(nameof(MethodsOnFamilies))]
    public void TrainsOnEveryFamily(string family, string methodId)
    {
        var method = Method(methodId);
        var (model, inputs, labels) = ScalingAndAdapterMethodTests.Tiny(family);
        using (model)
        {
            // Prefixes on the tiny decoders (48–64 positions) leave room for their 7 tokens.
            var config = method.DefaultConfig.With("learning_rate", "0.01");
            if (methodId is "mam-adapter" or "unipelt") config = config.With("reserved_input_tokens", "8");
            Assert.That(method.Validate(config, model.Sites), Is.Empty);
            var predicted = method.CountTrainable(model.Sites, config);
            var attachment = method.Apply(model, config, Context(5));
            Assert.That(model.CountParameters().MethodTrainable, Is.EqualTo(predicted), "count before building = count built");
            using var optimizer = optim.AdamW(attachment.ParameterGroups(model).Select(g => new AdamW.ParamGroup(g.Parameters, lr: g.LearningRate)).ToList());
            var losses = new List<float>();
            model.train();
            for (var step = 0; step < 4; step++)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var loss = F.cross_entropy(model.call(inputs), labels);
                if (attachment.AuxiliaryLoss() is { } aux) loss = loss + aux;
                loss.backward();
                optimizer.step();
                losses.Add(loss.item<float>());
            }
            model.eval();
            Assert.That(losses, Has.All.Matches<float>(float.IsFinite));
            Assert.That(losses[^1], Is.LessThan(losses[0]), $"{methodId} on {family}: {string.Join(", ", losses)}");
            Assert.That(model.TryMerge(), Is.False, "input-dependent mixtures and prefixes do not merge");
        }
    }
}
