using NUnit.Framework;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Methods;
using PeftBench.Reports;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Tests.Methods;

/// <summary>
/// What the rank-adaptive and pooled low-rank methods compute beyond the shared contract: AdaLoRA's budget
/// schedule and masking, IncreLoRA's and TriAdaptLoRA's growth, KaSA's truncation and regularisers, MoS's pools.
/// </summary>
[TestFixture]
public sealed class AdaptiveRankTests
{
    [OneTimeSetUp]
    public void PinThreads() => torch.set_num_threads(1);

    private static IPeftMethod Get(string id) => MethodCatalog.Create().Get(id);

    /// <summary>The trainer's loop in small: task loss + auxiliary loss, AdamW, then the step hook.</summary>
    private static void Train(SequenceClassifier model, MethodAttachment attachment, int steps, double lr = 0.01)
    {
        var (batch, labels) = TinyBert.Batch();
        using var optimizer = optim.AdamW(attachment.ParameterGroups(model).Select(g => new AdamW.ParamGroup(g.Parameters, lr: lr)).ToList());
        model.train();
        for (var step = 0; step < steps; step++)
        {
            using (NewDisposeScope())
            {
                optimizer.zero_grad();
                var loss = F.cross_entropy(model.call(batch), labels);
                if (attachment.AuxiliaryLoss() is { } aux) loss = loss + aux;
                loss.backward();
                optimizer.step();
            }
            attachment.AfterOptimizerStep(step, steps);
        }
        model.eval();
    }

    // ---- AdaLoRA ----

    [TestCase(5, 10, 48, false)]
    [TestCase(10, 10, 48, false)]
    [TestCase(11, 1, 47, true)]   // 32 + 16·(69/70)³ = 47.32
    [TestCase(45, 1, 34, true)]   // 32 + 16·(1/2)³ = 34
    [TestCase(45, 10, 34, false)] // not a multiple of ΔT
    [TestCase(50, 10, 33, true)]  // 32 + 16·(30/70)³ = 33.26
    [TestCase(80, 3, 32, false)]  // T − t_f: the cubic reaches the target (the final mask is forced by the allocator)
    [TestCase(81, 10, 32, true)]
    public void AdaLoraBudgetFollowsTheCubicSchedule(int step, int deltaT, int budget, bool mask) =>
        Assert.That(AdaLora.BudgetAt(step, 100, 48, 32, 10, 20, deltaT), Is.EqualTo((budget, mask)));

    [Test]
    public void AdaLoraWarmupsAreFractionsOfTheRunWithAtLeastOneFinalStep()
    {
        var config = new AdaLoraConfig();
        Assert.Multiple(() =>
        {
            Assert.That(AdaLora.WarmupSteps(config, 24), Is.EqualTo((2, 5)));
            Assert.That(AdaLora.WarmupSteps(config, 200), Is.EqualTo((20, 40)));
            Assert.That(AdaLora.WarmupSteps(config with { FinalWarmup = 0 }, 10), Is.EqualTo((1, 1)));
            Assert.That(AdaLora.WarmupSteps(config, 1), Is.EqualTo((0, 1)));
        });
    }

    [Test]
    public void AdaLoraMasksDownToTargetRankAndReportsIt()
    {
        using var model = TinyBert.Create();
        var config = new AdaLoraConfig { InitRank = 6, TargetRank = 3 };
        var attachment = Get("adalora").Apply(model, config, TinyBert.Context(7));
        Train(model, attachment, 12);
        var adapters = model.Sites.Linears.SelectMany(l => l.Adapters).Cast<AdaLoraAdapter>().ToList();
        var report = attachment.Report()!;
        Assert.Multiple(() =>
        {
            Assert.That(report.Ranks.Values.Sum(), Is.EqualTo(3 * adapters.Count), "the final budget is target_r per target on average");
            Assert.That(report.Ranks.Keys, Is.EquivalentTo(adapters.Select(a => a.Path)));
            Assert.That(report.AllocatedParameters, Is.EqualTo(3 * adapters.Count * 65));
            Assert.That(report.HeldParameters, Is.EqualTo(Get("adalora").CountTrainable(model.Sites, config)));
            foreach (var a in adapters)
            {
                var e = a.lora_E.detach().view(-1).data<float>().ToArray();
                for (var i = 0; i < e.Length; i++)
                    if (!a.Kept[i]) Assert.That(e[i], Is.EqualTo(0f), $"{a.Path}: λ_{i} of a pruned triplet");
            }
        });
    }

    [Test]
    public void AdaLoraSavesResizedTripletsWithTheRankPatternAndReloads()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"peftbench-adalora-{Environment.ProcessId}");
        try
        {
            using var model = TinyBert.Create();
            var config = new AdaLoraConfig { InitRank = 6, TargetRank = 3 };
            var method = Get("adalora");
            Train(model, method.Apply(model, config, TinyBert.Context(7)), 12);
            var (batch, _) = TinyBert.Batch();
            using var expected = TinyBert.Logits(model, batch);
            PeftAdapterCheckpoint.Save(model, method, config, directory);

            var folder = PeftAdapterCheckpoint.Load(directory);
            var first = model.Sites.Linears.SelectMany(l => l.Adapters).Cast<AdaLoraAdapter>().First();
            var pattern = folder.AdapterConfig["rank_pattern"]!.AsObject();
            using var fresh = TinyBert.Create();
            PeftAdapterCheckpoint.ApplyTo(folder, fresh, method, TinyBert.Context(99));
            using var actual = TinyBert.Logits(fresh, batch);
            Assert.Multiple(() =>
            {
                Assert.That(folder.AdapterConfig["peft_type"]!.GetValue<string>(), Is.EqualTo("ADALORA"));
                Assert.That(folder.AdapterConfig["total_step"]!.GetValue<int>(), Is.EqualTo(12));
                Assert.That(pattern.Select(kv => kv.Key), Has.Member($"bert.{first.Path}.lora_E"));
                Assert.That(pattern.Sum(kv => kv.Value!.AsArray().Count(b => b!.GetValue<bool>())), Is.EqualTo(3 * pattern.Count));
                Assert.That(folder.Tensors[$"base_model.model.bert.{first.Path}.lora_A"].shape[0], Is.EqualTo(first.Rank), "lora_A resized to the kept triplets");
                Assert.That(folder.Tensors[$"base_model.model.bert.{first.Path}.lora_E"].shape, Is.EqualTo(new long[] { first.Rank, 1 }));
                Assert.That((actual - expected).abs().max().item<float>(), Is.LessThan(1e-5f));
            });
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    // ---- IncreLoRA ----

    [Test]
    public void IncreLoraGrowsTheTopModulesAtTheScheduledSteps()
    {
        using var model = TinyBert.Create();
        var config = new IncreLoraConfig();
        var method = Get("increlora");
        var attachment = method.Apply(model, config, TinyBert.Context(7));
        var adapters = model.Sites.Linears.SelectMany(l => l.Adapters).Cast<GrowingRankAdapter>().ToList();
        // 20 steps: window (2, 16]; 4 targets need 4·(8 − 2) = 24 ranks in rounds of top_h·k = 2·4 → 3 rounds, every 4 steps.
        var window = GrowthWindow.For(config, 20);
        Assert.That((window.Start, window.End, IncreLora.Interval(config, adapters.Count, window)), Is.EqualTo((2, 16, 4)));
        var ranksAfter = new List<int[]>();
        var (batch, labels) = TinyBert.Batch();
        using var optimizer = optim.AdamW(attachment.ParameterGroups(model).Select(g => new AdamW.ParamGroup(g.Parameters, lr: 0.01)).ToList());
        model.train();
        for (var step = 0; step < 20; step++)
        {
            using (NewDisposeScope())
            {
                optimizer.zero_grad();
                F.cross_entropy(model.call(batch), labels).backward();
                optimizer.step();
            }
            attachment.AfterOptimizerStep(step, 20);
            ranksAfter.Add(adapters.Select(a => a.Rank).ToArray());
        }
        var report = attachment.Report()!;
        Assert.Multiple(() =>
        {
            Assert.That(ranksAfter[5], Is.All.EqualTo(2), "no growth before step 6");
            Assert.That(ranksAfter[6].Sum(), Is.EqualTo(8 + 8), "step 6: two modules gain k = 4 ranks");
            Assert.That(ranksAfter[6].Count(r => r == 6), Is.EqualTo(2));
            Assert.That(ranksAfter[10].Sum(), Is.EqualTo(24));
            Assert.That(ranksAfter[14].Sum(), Is.EqualTo(32), "the budget target_r·n is spent by the last round");
            Assert.That(report.Ranks.Values.Sum(), Is.EqualTo(32));
            Assert.That(report.AllocatedParameters, Is.EqualTo(32 * 65));
            Assert.That(report.HeldParameters, Is.EqualTo(method.CountTrainable(model.Sites, config)));
            Assert.That(adapters.All(a => a.ReserveValue == 0), "reserves stop contributing once the budget is spent");
        });
    }

    // ---- TriAdaptLoRA ----

    [Test]
    public void TriAdaptLoraThresholdFallsLinearlyOverTheWindow()
    {
        var config = new TriAdaptLoraConfig();
        var window = new GrowthWindow(2, 16);
        Assert.Multiple(() =>
        {
            Assert.That(TriAdaptLora.Threshold(config, window, 2), Is.EqualTo(0.9).Within(1e-12));
            Assert.That(TriAdaptLora.Threshold(config, window, 9), Is.EqualTo(0.6).Within(1e-12));
            Assert.That(TriAdaptLora.Threshold(config, window, 16), Is.EqualTo(0.3).Within(1e-12));
            Assert.That(TriAdaptLora.Interval(config, window), Is.EqualTo(2), "14 steps over 6 possible growths");
        });
    }

    [Test]
    public void TriAdaptLoraFactorsAreTriangular()
    {
        using var model = TinyBert.Create();
        Get("triadaptlora").Apply(model, new TriAdaptLoraConfig(), TinyBert.Context(7));
        var linear = model.Sites.Linears.First(l => l.Adapters.Count > 0);
        var adapter = (GrowingRankAdapter)linear.Adapters[0];
        var pool = adapter.Pool;
        using (no_grad()) pool.pool_E.fill_(1.0);
        var expected = zeros(32, 32);
        for (var j = 0; j < adapter.Rank; j++)
        {
            var c = adapter.ActiveComponents[j];
            var a = pool.pool_A.detach()[c].clone();
            var b = pool.pool_B.detach()[TensorIndex.Colon, c].clone();
            a[TensorIndex.Slice(0, j)] = tensor(0f);   // row j of U starts at column j
            b[TensorIndex.Slice(0, j)] = tensor(0f);   // column j of L starts at row j
            expected += b.unsqueeze(1).mm(a.unsqueeze(0));
        }
        expected *= 8 / (adapter.Rank + 1e-5);
        using var delta = adapter.DeltaWeight(linear).detach();
        Assert.That((delta - expected).abs().max().item<float>(), Is.LessThan(1e-6f));
    }

    [Test]
    public void TriAdaptLoraGrowsWithinItsBudget()
    {
        using var model = TinyBert.Create();
        var attachment = Get("triadaptlora").Apply(model, new TriAdaptLoraConfig(), TinyBert.Context(7));
        Train(model, attachment, 20);
        var report = attachment.Report()!;
        Assert.Multiple(() =>
        {
            Assert.That(report.Ranks.Values.Sum(), Is.GreaterThan(2 * 4), "some module grew");
            Assert.That(report.Ranks.Values.Sum(), Is.LessThanOrEqualTo(8 * 4));
        });
    }

    // ---- KaSA ----

    [Test]
    public void KasaWorldKnowledgeIsW0WithoutItsRSmallestSingularComponents()
    {
        using var model = TinyBert.Create();
        var config = new KasaConfig { Rank = 4 };
        Get("kasa").Apply(model, config, TinyBert.Context(7));
        foreach (var linear in model.Sites.Linears.Where(l => l.Adapters.Count > 0))
        {
            var w0 = linear.weight.detach().to_type(ScalarType.Float64);
            // B = 0 at init, so the whole change is the truncation: W_world = W₀ + ΔW.
            var world = w0 + linear.Adapters[0].DeltaWeight(linear).detach().to_type(ScalarType.Float64);
            var s = linalg.svdvals(w0);
            var sWorld = linalg.svdvals(world);
            var kept = s.shape[0] - 4;
            Assert.That((sWorld.narrow(0, 0, kept) - s.narrow(0, 0, kept)).abs().max().item<double>(), Is.LessThan(1e-5), $"{linear.Path}: kept spectrum");
            Assert.That(sWorld.narrow(0, kept, 4).abs().max().item<double>(), Is.LessThan(1e-5), $"{linear.Path}: the 4 smallest are gone");
        }
    }

    [Test]
    public void KasaRegularisersAreBetaTimesSigmaSquaredPlusGammaTimesOrthogonality()
    {
        using var model = TinyBert.Create();
        var config = new KasaConfig { Rank = 4, Beta = 0.5, Gamma = 0.25 };
        var attachment = Get("kasa").Apply(model, config, TinyBert.Context(7));
        var expected = 0.0;
        foreach (var a in model.Sites.Linears.SelectMany(l => l.Adapters).Cast<KasaAdapter>())
        {
            var sigma = a.lora_diag.detach().data<float>().Sum(x => (double)x * x);
            var A = a.lora_A.detach().to_type(ScalarType.Float64);
            var orthA = (A.mm(A.t()) - eye(4, dtype: ScalarType.Float64)).norm().item<double>();
            expected += 0.5 * sigma + 0.25 * (Math.Sqrt(4) + orthA); // B = 0: ‖BᵀB − I‖_F = ‖I‖_F = 2
        }
        Assert.That(attachment.AuxiliaryLoss()!.item<float>(), Is.EqualTo(expected).Within(1e-4 * expected));
    }

    // ---- MoS ----

    [Test]
    public void MosPoolsAreSharedAcrossLayersAndCountedOnce()
    {
        using var model = TinyBert.Create();
        var config = new MosConfig();
        var method = Get("mos");
        method.Apply(model, config, TinyBert.Context(7));
        var adapters = model.Sites.Linears.Where(l => l.Adapters.Count > 0).Select(l => (MosAdapter)l.Adapters[0]).ToList();
        var pools = model.named_parameters().Where(p => p.name.Contains(".mos.pool_")).ToList();
        var indexA = adapters.Select(a => a.mos_index_A.data<long>().ToArray()).ToList();
        Assert.Multiple(() =>
        {
            // q and v are all 32×32 with 2 shards of 16: one A pool and one B pool, each e·l·n = 2·2·4 = 16 shards.
            Assert.That(pools.Select(p => p.name.EndsWith("pool_A.shards") ? "A" : "B"), Is.EquivalentTo(new[] { "A", "B" }));
            Assert.That(pools.Sum(p => p.parameter.numel()), Is.EqualTo(2 * 16 * 16));
            Assert.That(model.CountParameters().Adapter, Is.EqualTo(method.CountTrainable(model.Sites, config)));
            Assert.That(model.CountParameters().Adapter, Is.EqualTo(2 * 4 * (32 + 32)), "as LoRA at rank pool_rank = 2");
            Assert.That(indexA.All(ix => ix.Length == 8 * 2), "r·l shards per factor");
            // Private shards: ⌊0.5·2·2⌋ = 2 per layer, first, disjoint; the rest public (index ≥ 4·2) and shared.
            for (var i = 0; i < indexA.Count; i++)
                Assert.That(indexA[i].Take(2), Is.EqualTo(new long[] { 2 * i, 2 * i + 1 }));
            Assert.That(indexA.All(ix => ix.Skip(2).All(j => j >= 8)));
            Assert.That(indexA[0].Skip(2).Intersect(indexA[1].Skip(2)), Is.Not.Empty, "public shards are shared");
        });
    }

    // ---- the cell result ----

    [Test]
    public void RankAllocationIsOmittedFromResultsWithoutIt()
    {
        var spec = new CellSpec { Task = "t", Model = "m", Method = "lora", Profile = "ci", Device = "cpu" };
        var plain = ResultJson.Serialize(new CellResult { Key = "k", Status = CellStatus.Ok, Cell = spec });
        var ranked = ResultJson.Serialize(new CellResult
        {
            Key = "k", Status = CellStatus.Ok, Cell = spec with { Method = "adalora" },
            RankAllocation = new RankAllocation { AllocatedParameters = 10, HeldParameters = 20, Ranks = new() { ["q"] = 3 } },
        });
        Assert.Multiple(() =>
        {
            Assert.That(plain, Does.Not.Contain("rank_allocation"));
            Assert.That(ranked, Does.Contain("\"rank_allocation\"").And.Contain("\"allocated_parameters\": 10").And.Contain("\"q\": 3"));
            Assert.That(ResultJson.Deserialize(ranked, "test").RankAllocation!.Ranks["q"], Is.EqualTo(3));
        });
    }
}
