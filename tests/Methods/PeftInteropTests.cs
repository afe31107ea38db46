using System.Text.Json.Nodes;
using NUnit.Framework;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Methods;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Tests.Methods;

/// <summary>
/// Interoperability with huggingface/peft 0.21 on real peft output (tests/fixtures/hf/peft, made by
/// make_fixtures.py's <c>peft_fixtures</c>): each adapter folder peft saved for RobertaForSequenceClassification
/// on roberta-tiny loads into a <see cref="SequenceClassifier"/> on the same encoder and gives peft's logits; a
/// folder we save from it reloads to the same logits and has peft's key names, shapes and adapter_config.json
/// fields. The opposite direction (our folders loaded by peft) is <see cref="WritesOurFoldersForPeft"/> plus
/// tests/fixtures/hf/check_ours_in_peft.py, run where peft is installed.
/// </summary>
[TestFixture]
public sealed class PeftInteropTests
{
    /// <summary>Max |ours − peft| on the logits (float32, values of order 1; peft ran on another machine's CPU/BLAS).</summary>
    private const float Tolerance = 1e-5f;

    /// <summary>Fixture folder → our method id.</summary>
    private static readonly IReadOnlyDictionary<string, string> MethodOf = new Dictionary<string, string>
    {
        ["lora"] = "lora", ["rslora"] = "rslora", ["dora"] = "dora", ["lora-all"] = "lora",
        ["loha"] = "loha", ["lokr"] = "lokr", ["oft"] = "oft", ["boft"] = "boft",
        ["vera"] = "vera", ["fourierft"] = "fourierft", ["hra"] = "hra", ["adalora"] = "adalora", ["ia3"] = "ia3",
    };

    /// <summary>
    /// The adapter_config.json fields that define the math (or where the adapter applies), per peft_type: a folder
    /// we write must carry the same values as peft's for the same config.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, string[]> MathFields = new Dictionary<string, string[]>
    {
        ["LORA"] = ["r", "lora_alpha", "use_rslora", "use_dora", "fan_in_fan_out"],
        ["LOHA"] = ["r", "alpha", "use_effective_conv2d"],
        ["LOKR"] = ["r", "alpha", "decompose_factor", "decompose_both", "rank_dropout", "use_effective_conv2d"],
        ["OFT"] = ["r", "oft_block_size", "use_cayley_neumann", "num_cayley_neumann_terms", "coft", "block_share", "fan_in_fan_out"],
        ["BOFT"] = ["boft_block_size", "boft_block_num", "boft_n_butterfly_factor", "fan_in_fan_out"],
        ["VERA"] = ["r", "save_projection", "d_initial", "fan_in_fan_out"],
        ["FOURIERFT"] = ["n_frequency", "scaling", "random_loc_seed", "fan_in_fan_out"],
        ["HRA"] = ["r", "apply_GS"],
        ["ADALORA"] = ["init_r", "target_r", "lora_alpha", "fan_in_fan_out"],
        ["IA3"] = ["feedforward_modules", "fan_in_fan_out"],
    };

    public static IEnumerable<string> Fixtures() => MethodOf.Keys;

    private static string PeftDir(params string[] parts) =>
        Path.Combine([TestContext.CurrentContext.TestDirectory, "fixtures", "hf", "peft", .. parts]);

    private static readonly Lazy<Dictionary<string, Tensor>> Reference = new(() =>
        Safetensors.Read(Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "hf", "peft", "reference.safetensors")).Tensors);

    [OneTimeSetUp]
    public void PinThreads() => torch.set_num_threads(1);

    /// <summary>roberta-tiny as the fixtures ran it: RobertaForSequenceClassification's head, 3 labels, no dropout, eval.</summary>
    private static SequenceClassifier RobertaTiny()
    {
        var loaded = HfEncoderLoader.Load(PeftDir("roberta-tiny"));
        var model = new SequenceClassifier(loaded.Encoder, 3, 0.0);
        model.eval();
        return model;
    }

    private static TokenBatch Inputs() => new(Reference.Value["input_ids"], Reference.Value["attention_mask"], null);

    private static Tensor Logits(SequenceClassifier model)
    {
        using var _ = no_grad();
        return model.call(Inputs()).detach();
    }

    private static MethodContext Context(ulong seed) => new(CPU, new Generator(seed, CPU));

    private static float MaxAbs(Tensor a, Tensor b)
    {
        using var _ = NewDisposeScope();
        return (a - b).abs().max().item<float>();
    }

    /// <summary>A fresh roberta-tiny classifier with the adapter folder at <paramref name="directory"/> applied.</summary>
    private static (SequenceClassifier Model, PeftAdapterFolder Folder, MethodConfig Config, IPeftMethod Method) LoadInto(string directory, ulong seed = 1)
    {
        var folder = PeftAdapterCheckpoint.Load(directory);
        var method = MethodCatalog.Create().Get(folder.MethodId);
        var model = RobertaTiny();
        var config = PeftAdapterCheckpoint.ApplyTo(folder, model, method, Context(seed));
        model.eval();
        return (model, folder, config, method);
    }

    [TestCaseSource(nameof(Fixtures))]
    public void PeftsFolderLoadsAndGivesPeftsLogits(string fixture)
    {
        var (model, folder, _, _) = LoadInto(PeftDir(fixture));
        using (model)
        {
            using var logits = Logits(model);
            var diff = MaxAbs(logits, Reference.Value[$"{fixture}_logits"]);
            TestContext.Out.WriteLine($"{fixture}: max |ours − peft| logits = {diff:E2}");
            Assert.Multiple(() =>
            {
                Assert.That(folder.MethodId, Is.EqualTo(MethodOf[fixture]));
                Assert.That(folder.ConfigJson, Is.Null, "peft writes no PeftBench metadata");
                Assert.That(diff, Is.LessThanOrEqualTo(Tolerance), "logits against peft's");
            });
        }
    }

    /// <summary>
    /// peft's PREFIX_TUNING folder (prompt_embeddings [l, 2·L·d], the head under <c>base_model.</c>) gives peft's logits: the
    /// prefix layout, the extended mask and the position ids (the text numbered after the prefix, as Hugging Face's
    /// past_key_values number it) agree with peft on RoBERTa.
    /// </summary>
    [Test]
    public void PeftsPrefixTuningFolderGivesPeftsLogits()
    {
        var (model, folder, config, _) = LoadInto(PeftDir("prefix-tuning"));
        using (model)
        {
            using var logits = Logits(model);
            var diff = MaxAbs(logits, Reference.Value["prefix-tuning_logits"]);
            TestContext.Out.WriteLine($"prefix-tuning: max |ours − peft| logits = {diff:E2} (base model differs by {MaxAbs(logits, Reference.Value["base_logits"]):E2})");
            Assert.Multiple(() =>
            {
                Assert.That(folder.MethodId, Is.EqualTo("prefix-tuning"));
                Assert.That(config, Is.EqualTo(new PrefixTuningConfig { PrefixLength = 4, Reparameterize = false }));
                Assert.That(diff, Is.LessThanOrEqualTo(Tolerance), "logits against peft's");
            });
        }
    }

    /// <summary>A PREFIX_TUNING folder we write has peft's tensor names and shapes and peft's values for the fields that define the prefix.</summary>
    [Test]
    public void OurPrefixTuningFolderHasPeftsLayout()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"peftbench-interop-prefix-{Environment.ProcessId}");
        try
        {
            var (model, peftFolder, config, method) = LoadInto(PeftDir("prefix-tuning"));
            using (model)
            {
                using var expected = Logits(model);
                PeftAdapterCheckpoint.Save(model, method, config, directory);
                var (reloaded, ours, _, _) = LoadInto(directory, seed: 99);
                using (reloaded)
                {
                    using var actual = Logits(reloaded);
                    Assert.Multiple(() =>
                    {
                        Assert.That(MaxAbs(actual, expected), Is.EqualTo(0f), "logits of the reloaded model");
                        Assert.That(ours.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.shape),
                            Is.EqualTo(peftFolder.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.shape)), "tensor names and shapes");
                        Assert.That(ours.AdapterConfig.Select(kv => kv.Key).Where(k => !peftFolder.AdapterConfig.ContainsKey(k)), Is.Empty,
                            "fields peft 0.21 does not write");
                        foreach (var field in new[] { "peft_type", "task_type", "num_virtual_tokens", "token_dim", "num_layers", "num_attention_heads",
                                     "num_transformer_submodules", "prefix_projection", "encoder_hidden_size", "inference_mode" })
                            Assert.That(Canonical(ours.AdapterConfig[field]), Is.EqualTo(Canonical(peftFolder.AdapterConfig[field])), field);
                    });
                }
            }
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [TestCaseSource(nameof(Fixtures))]
    public void OurFolderReloadsAndHasPeftsLayout(string fixture)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"peftbench-interop-{fixture}-{Environment.ProcessId}");
        try
        {
            var (model, peftFolder, config, method) = LoadInto(PeftDir(fixture));
            using (model)
            {
                using var expected = Logits(model);
                PeftAdapterCheckpoint.Save(model, (IPeftMethod)method, config, directory);
                var (reloaded, ours, reloadedConfig, _) = LoadInto(directory, seed: 99);
                using (reloaded)
                {
                    using var actual = Logits(reloaded);
                    var peftShapes = peftFolder.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.shape);
                    var ourShapes = ours.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.shape);
                    var peftType = peftFolder.AdapterConfig["peft_type"]!.GetValue<string>();
                    Assert.Multiple(() =>
                    {
                        Assert.That(reloadedConfig, Is.EqualTo(config), "our config travels in the metadata");
                        Assert.That(MaxAbs(actual, expected), Is.EqualTo(0f), "logits of the reloaded model");
                        Assert.That(ourShapes.Keys.Order(), Is.EqualTo(peftShapes.Keys.Order()), "tensor names");
                        foreach (var (key, shape) in peftShapes.Where(kv => ourShapes.ContainsKey(kv.Key)))
                            Assert.That(ourShapes[key], Is.EqualTo(shape), key);
                        AssertSameConfig(ours.AdapterConfig, peftFolder.AdapterConfig, peftType);
                    });
                }
            }
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// peft settings PeftBench does not implement are refused with their name, not loaded into a different model:
    /// per-layer patterns and layer selection for every method, and each method's own unimplemented options.
    /// </summary>
    [TestCase("lokr", "rank_pattern", """{"query": 2}""")]
    [TestCase("loha", "layers_to_transform", "[0]")]
    [TestCase("fourierft", "n_frequency_pattern", """{"value": 8}""")]
    [TestCase("lokr", "decompose_both", "true")]
    [TestCase("oft", "coft", "true")]
    [TestCase("oft", "block_share", "true")]
    [TestCase("boft", "boft_block_num", "8")]
    [TestCase("vera", "save_projection", "false")]
    [TestCase("lora", "target_modules", "\".*query\"")]
    public void RefusesPeftSettingsItDoesNotImplement(string fixture, string field, string json)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"peftbench-interop-refuse-{fixture}-{field}-{Environment.ProcessId}");
        try
        {
            Directory.CreateDirectory(directory);
            File.Copy(PeftDir(fixture, PeftAdapterCheckpoint.WeightsFile), Path.Combine(directory, PeftAdapterCheckpoint.WeightsFile));
            var config = JsonNode.Parse(File.ReadAllText(PeftDir(fixture, PeftAdapterCheckpoint.ConfigFile)))!.AsObject();
            config[field] = JsonNode.Parse(json);
            File.WriteAllText(Path.Combine(directory, PeftAdapterCheckpoint.ConfigFile), config.ToJsonString());
            var error = Assert.Throws<NotSupportedException>(() => LoadInto(directory).Model.Dispose());
            Assert.That(error!.Message, Does.Contain(field));
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Every field we write exists in peft's config (so peft 0.21 reads it without surprises), and the fields that
    /// define the math have peft's values; target_modules compares as a set.
    /// </summary>
    private static void AssertSameConfig(JsonObject ours, JsonObject peft, string peftType)
    {
        Assert.That(ours["peft_type"]?.GetValue<string>(), Is.EqualTo(peftType));
        Assert.That(ours.Select(kv => kv.Key).Where(k => !peft.ContainsKey(k)), Is.Empty, "fields peft 0.21 does not write");
        Assert.That(Strings(ours["target_modules"]).Order(), Is.EqualTo(Strings(peft["target_modules"]).Order()), "target_modules");
        foreach (var field in new[] { "task_type", "modules_to_save" }.Concat(MathFields[peftType]))
        {
            Assert.That(ours.ContainsKey(field), $"{field} is missing from our adapter_config.json");
            Assert.That(Canonical(ours[field]), Is.EqualTo(Canonical(peft[field])), field);
        }
    }

    private static IEnumerable<string> Strings(JsonNode? node) => node!.AsArray().Select(t => t!.GetValue<string>());

    /// <summary>JSON text with every number as a double (peft writes 8 and 10.0 where we may write 8.0 and 10).</summary>
    private static string Canonical(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<double>(out var d) => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => node.ToJsonString(),
    };

    /// <summary>
    /// Folders for the opposite direction: fixture folder name → (our method, the peft fixture whose config it takes,
    /// settings changed from it). Besides one per peft fixture, variants that peft's fixtures do not exercise: OFT's
    /// exact Cayley transform, LoKr with a factored W₂, HRA with Gram–Schmidt. (BOFT with more than one butterfly
    /// factor is left out: peft builds it only where its fbd CUDA extension compiles and resets the factor to 1
    /// elsewhere, so such a folder does not load in peft on a CPU machine.)
    /// </summary>
    private static readonly IReadOnlyDictionary<string, (string Fixture, string[] Settings)> OursFolders =
        new Dictionary<string, (string, string[])>
        {
            ["lora"] = ("lora", []), ["rslora"] = ("rslora", []), ["dora"] = ("dora", []), ["lora-all"] = ("lora-all", []),
            ["loha"] = ("loha", []), ["lokr"] = ("lokr", []), ["lokr-factored"] = ("lokr", ["rank=2"]),
            ["oft"] = ("oft", []), ["oft-exact"] = ("oft", ["cayley_neumann=false"]), ["boft"] = ("boft", []),
            ["vera"] = ("vera", []), ["fourierft"] = ("fourierft", []), ["hra"] = ("hra", []), ["hra-gs"] = ("hra", ["apply_gs=true"]),
        };

    public static IEnumerable<string> Ours() => OursFolders.Keys;

    private static string OursDir(params string[] parts) =>
        Path.Combine([TestContext.CurrentContext.TestDirectory, "fixtures", "hf", "ours", .. parts]);

    /// <summary>
    /// Writes tests/fixtures/hf/ours/&lt;name&gt;/ (our adapter folders, every trainable tensor perturbed as the peft fixtures
    /// were) and ours/reference.safetensors (input_ids, attention_mask and &lt;name&gt;_logits computed here) into the
    /// source tree, or into $PEFTBENCH_OURS_DIR. Then, where peft is installed:
    /// <c>python3 tests/fixtures/hf/check_ours_in_peft.py</c> loads each into peft and compares the logits.
    /// </summary>
    [Test, Explicit("writes tests/fixtures/hf/ours for check_ours_in_peft.py")]
    public void WritesOurFoldersForPeft()
    {
        var root = Environment.GetEnvironmentVariable("PEFTBENCH_OURS_DIR") is { Length: > 0 } dir ? dir
            : Path.GetFullPath(Path.Combine(SourceDir(), "..", "fixtures", "hf", "ours"));
        Directory.CreateDirectory(root);
        var reference = new Dictionary<string, Tensor> { ["input_ids"] = Inputs().InputIds, ["attention_mask"] = Inputs().AttentionMask };
        var seed = 0UL;
        foreach (var (name, (fixture, settings)) in OursFolders)
        {
            var peft = PeftAdapterCheckpoint.Load(PeftDir(fixture));
            var method = MethodCatalog.Create().Get(peft.MethodId);
            var config = settings.Aggregate(((IPeftCheckpointMethod)method).FromPeftConfig(peft.AdapterConfig),
                (c, s) => c.With(s));
            torch.manual_seed(100 + (long)seed);
            using var model = RobertaTiny();
            method.Apply(model, config, Context(++seed));
            using (no_grad())
            using (var g = new Generator(1000 + seed, CPU))
                foreach (var p in model.parameters().Where(p => p.requires_grad))
                    p.add_(randn(p.shape, generator: g).mul_(0.05));
            model.eval();
            reference[$"{name}_logits"] = Logits(model);
            var folder = Path.Combine(root, name);
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            PeftAdapterCheckpoint.Save(model, method, config, folder);
        }
        Safetensors.Write(Path.Combine(root, "reference.safetensors"), reference, new Dictionary<string, string> { ["format"] = "pt" });
        TestContext.Out.WriteLine($"wrote {OursFolders.Count} adapter folders and reference.safetensors to {root}");
    }

    /// <summary>The committed ours/ folders still reload here to the logits written beside them (they are current).</summary>
    [TestCaseSource(nameof(Ours))]
    public void OurCommittedFoldersReloadToTheirLogits(string name)
    {
        if (!File.Exists(OursDir("reference.safetensors"))) Assert.Inconclusive("no tests/fixtures/hf/ours yet: run WritesOurFoldersForPeft.");
        var expected = Safetensors.Read(OursDir("reference.safetensors")).Tensors[$"{name}_logits"];
        var (model, folder, _, _) = LoadInto(OursDir(name), seed: 7);
        using (model)
        {
            using var logits = Logits(model);
            Assert.That(folder.ConfigJson, Is.Not.Null, "written by PeftBench");
            Assert.That(MaxAbs(logits, expected), Is.EqualTo(0f));
        }
    }

    private static string SourceDir([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
