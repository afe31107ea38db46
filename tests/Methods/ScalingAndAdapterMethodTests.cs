using NUnit.Framework;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using PeftBench.Methods;
using PeftBench.Tests.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Tests.Methods;

/// <summary>
/// The scaling, selective and adapter methods of issue 5 beyond the catalog contract (which runs on the tiny BERT
/// only): a forward pass and two AdamW steps on every other family (GPT-2's fused c_attn, LLaMA with GQA and RMSNorm,
/// ViT, AST), where the shape-only test in BuiltInArchitectureTests never runs them; merging where it is possible;
/// (IA)³ on a fused projection; the parallel branch's input; and an LN-tuning folder in peft's layout.
/// </summary>
[TestFixture]
public sealed class ScalingAndAdapterMethodTests
{
    private static readonly string[] Methods = ["ia3", "ssf", "ln-tuning", "pfeiffer", "parallel-adapter", "adaptformer", "compacter", "compacter-pp", "qlora", "loftq", "peqa"];
    private static readonly string[] Families = ["gpt2", "llama", "vit", "ast"];

    public static IEnumerable<TestCaseData> MethodsOnFamilies() =>
        from family in Families from method in Methods select new TestCaseData(family, method).SetArgDisplayNames(family, method);

    [OneTimeSetUp]
    public void PinThreads() => torch.set_num_threads(1);

    private static IPeftMethod Method(string id) => MethodCatalog.Create().Get(id);

    private static MethodContext Context(ulong seed) => new(CPU, new Generator(seed, CPU));

    /// <summary>A seeded tiny model of <paramref name="family"/> with a 3-class head, its inputs and labels.</summary>
    internal static (SequenceClassifier Model, ModelInputs Inputs, Tensor Labels) Tiny(string family)
    {
        manual_seed(17);
        Backbone backbone = family switch
        {
            "gpt2" => CausalLm.Create(DecoderFixtures.TinyGpt2).Backbone,
            "llama" => CausalLm.Create(DecoderFixtures.TinyLlama).Backbone,
            "vit" => new VitModel(VitAstFixtures.TinyVit),
            _ => new AstModel(VitAstFixtures.TinyAst),
        };
        var model = new SequenceClassifier(backbone, 3, 0.0);
        // Perturbed so that norms and biases are not exactly 1 and 0 (a fold into them must get the arithmetic right).
        using (no_grad())
            foreach (var p in model.parameters()) p.add_(randn_like(p) * 0.05);
        model.eval();
        using var g = new Generator(23, CPU);
        ModelInputs inputs = family switch
        {
            "vit" => new PixelBatch(randn(new long[] { 4, 3, 16, 16 }, generator: g)),
            "ast" => new SpectrogramBatch(randn(new long[] { 4, 40, 24 }, generator: g)),
            _ => new TokenBatch(randint(3, 50, new long[] { 4, 7 }, generator: g, dtype: ScalarType.Int64), ones(4, 7, dtype: ScalarType.Int64), null),
        };
        return (model, inputs, tensor(new long[] { 0, 1, 2, 1 }));
    }

    private static Tensor Logits(SequenceClassifier model, ModelInputs inputs)
    {
        using var _ = no_grad();
        return model.call(inputs).detach();
    }

    private static float MaxAbs(Tensor a, Tensor b)
    {
        using var _ = NewDisposeScope();
        return (a - b).abs().max().item<float>();
    }

    [TestCaseSource(nameof(MethodsOnFamilies))]
    public void TrainsAndMergesWhereItCanOnEveryFamily(string family, string methodId)
    {
        var method = Method(methodId);
        var (model, inputs, labels) = Tiny(family);
        using (model)
        {
            var config = method.DefaultConfig.With("learning_rate", "0.01");
            // LoftQ's rank is bounded by min(d_in, d_out): the tiny LLaMA's key/value projections are 8 wide.
            if (methodId == "loftq") config = config.With("rank", "4");
            var predicted = method.CountTrainable(model.Sites, config);
            var attachment = method.Apply(model, config, Context(5));
            model.eval(); // the attached modules too (AdaptFormer's dropout)
            Assert.That(model.CountParameters().MethodTrainable, Is.EqualTo(predicted), "count before building = count built");
            using var optimizer = optim.AdamW(attachment.ParameterGroups(model).Select(g => new AdamW.ParamGroup(g.Parameters, lr: g.LearningRate)).ToList());
            var losses = new List<float>();
            for (var step = 0; step < 3; step++)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var loss = F.cross_entropy(model.call(inputs), labels);
                loss.backward();
                optimizer.step();
                losses.Add(loss.item<float>());
            }
            Assert.That(losses, Has.All.Matches<float>(float.IsFinite));
            Assert.That(losses[^1], Is.LessThan(losses[0]), $"{methodId} on {family}: {string.Join(", ", losses)}");

            using var unmerged = Logits(model, inputs);
            // SSF's shift after an RMSNorm has no bias to fold into: LLaMA keeps it as a module (and says so).
            var mergeable = method.CanMerge && !(methodId == "ssf" && family == "llama");
            Assert.That(model.TryMerge(), Is.EqualTo(mergeable || model.CountParameters().Adapter == 0), "TryMerge");
            using var merged = Logits(model, inputs);
            model.Unmerge();
            using var again = Logits(model, inputs);
            Assert.That(MaxAbs(merged, unmerged), Is.LessThan(1e-5f), "merged vs unmerged logits");
            Assert.That(MaxAbs(again, unmerged), Is.EqualTo(0f), "unmerge restores the base weights exactly");
        }
    }

    [Test]
    public void Ia3RescalesOnlyTheKeyAndValueThirdsOfGpt2sFusedProjection()
    {
        var (model, _, _) = Tiny("gpt2");
        using (model)
        {
            Method("ia3").Apply(model, Method("ia3").DefaultConfig, Context(1));
            var cAttn = model.Sites.Linears.First(l => l.Role == SiteRoles.FusedQkv);
            var adapter = (Ia3Adapter)cAttn.Adapters[0];
            using (no_grad()) adapter.ia3_l.fill_(2);
            using var x = randn(3, 16);
            using var expected = F.linear(x, cAttn.weight, cAttn.bias);
            using var actual = Logits1(cAttn, x);
            var saved = adapter.ToPeft()["ia3_l"];
            Assert.Multiple(() =>
            {
                Assert.That(adapter.ia3_l.shape, Is.EqualTo(new long[] { 32 }), "l_k and l_v: two thirds of c_attn's 48 rows");
                Assert.That(MaxAbs(actual.narrow(1, 0, 16), expected.narrow(1, 0, 16)), Is.EqualTo(0f), "queries untouched");
                Assert.That(MaxAbs(actual.narrow(1, 16, 32), expected.narrow(1, 16, 32) * 2), Is.LessThan(1e-6f), "keys and values rescaled");
                Assert.That(saved.shape, Is.EqualTo(new long[] { 48, 1 }), "peft's ia3_l for c_attn: every row");
                Assert.That(saved.narrow(0, 0, 16).eq(1).all().item<bool>(), "the query rows are saved as 1");
                Assert.That(Method("ia3").CountTrainable(model.Sites, Method("ia3").DefaultConfig), Is.EqualTo(2 * (16 + 16 + 40)), "L(2d + d_ff)");
            });
            var peftStyle = ones(48, 1);
            peftStyle[5, 0] = tensor(1.5f);
            Assert.Throws<NotSupportedException>(() => adapter.LoadPeft(new Dictionary<string, Tensor> { ["ia3_l"] = peftStyle }),
                "a folder that rescales queries cannot load into keys-and-values-only (IA)³");
        }
    }

    private static Tensor Logits1(AdaptableLinear linear, Tensor x)
    {
        using var _ = no_grad();
        return linear.call(x);
    }

    [TestCase("gpt2", "parallel-adapter")]
    [TestCase("llama", "adaptformer")]
    public void ParallelBranchesReadTheFeedForwardInput(string family, string methodId)
    {
        var (model, inputs, _) = Tiny(family);
        using (model)
        {
            var config = (BottleneckConfig)Method(methodId).DefaultConfig;
            Method(methodId).Apply(model, config, Context(2));
            model.eval();
            var site = model.Sites.SelectResiduals(SiteRoles.AfterMlp)[0];
            var adapter = (BottleneckAdapter)site.Transforms[0];
            using (no_grad()) adapter.up_weight.normal_(0, 0.5);
            Tensor? ffnInput = null, siteInput = null, siteOutput = null;
            var up = model.Sites.InputProjectionOf(site)!;
            up.register_forward_hook((_, x, y) => { ffnInput ??= x.detach().clone(); return y; });
            site.register_forward_hook((_, h, y) => { siteInput ??= h.detach().clone(); siteOutput ??= y.detach().clone(); return y; });
            Logits(model, inputs).Dispose();
            using var branch = F.linear(F.relu(F.linear(ffnInput!, adapter.down_weight, adapter.down_bias)), adapter.up_weight, adapter.up_bias) * config.Scaling;
            Assert.That(up.Role, Is.EqualTo(SiteRoles.MlpUp));
            Assert.That(MaxAbs(siteOutput! - siteInput!, branch), Is.LessThan(1e-5f), "FFN output + s·W_up ReLU(W_down x) with x the FFN's input");
            Assert.That(branch.abs().max().item<float>(), Is.GreaterThan(1e-3f), "the branch contributes");
        }
    }

    /// <summary>A folder as peft writes LN_TUNING (no PeftBench metadata): each norm's trained copy under ln_tuning_layers.</summary>
    [Test]
    public void LnTuningLoadsAFolderInPeftsLayout()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"peftbench-ln-tuning-{Environment.ProcessId}");
        try
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, PeftAdapterCheckpoint.ConfigFile), """
                {
                  "base_model_name_or_path": "bert-base-uncased",
                  "exclude_modules": null,
                  "inference_mode": true,
                  "modules_to_save": ["classifier", "score"],
                  "peft_type": "LN_TUNING",
                  "target_modules": ["LayerNorm"],
                  "task_type": "SEQ_CLS"
                }
                """);
            using var reference = TinyBert.Create();
            using var g = new Generator(8, CPU);
            var tensors = new Dictionary<string, Tensor>();
            using (no_grad())
            {
                foreach (var (path, norm) in reference.Sites.Norms)
                    foreach (var (name, p) in norm.named_parameters(recurse: false))
                    {
                        p.add_(randn(p.shape, generator: g) * 0.1);
                        tensors[$"base_model.model.bert.{path}.ln_tuning_layers.{name}"] = p.detach().clone();
                    }
                foreach (var (name, p) in reference.Head.named_parameters())
                {
                    p.add_(randn(p.shape, generator: g) * 0.1);
                    tensors[$"base_model.model.classifier.{name}"] = p.detach().clone();
                }
            }
            Safetensors.Write(Path.Combine(directory, PeftAdapterCheckpoint.WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });

            var folder = PeftAdapterCheckpoint.Load(directory);
            using var model = TinyBert.Create();
            var config = (LnTuningConfig)PeftAdapterCheckpoint.ApplyTo(folder, model, Method(folder.MethodId), TinyBert.Context(1));
            model.eval();
            var (batch, _) = TinyBert.Batch();
            using var expected = TinyBert.Logits(reference, batch);
            using var actual = TinyBert.Logits(model, batch);
            Assert.Multiple(() =>
            {
                Assert.That(folder.MethodId, Is.EqualTo("ln-tuning"));
                Assert.That(config.Targets, Is.EqualTo(new[] { "LayerNorm" }));
                Assert.That(model.CountParameters().Other, Is.EqualTo(5 * 2 * 32), "embeddings + 2 per layer, γ and β of width 32");
                Assert.That(MaxAbs(actual, expected), Is.EqualTo(0f), "the folder's norms and head");
            });
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }
}
