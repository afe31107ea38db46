using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using PeftBench.Harness;
using PeftBench.Harness.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Tests.Models;

/// <summary>
/// Built-in real architectures against the Hugging Face reference (tests/fixtures/hf/keys, written by transformers
/// 5.17 and peft 0.21 on the meta device): parameter names and shapes, totals with and without a classification
/// head, and LoRA counts equal to peft's, all from shape-only (meta-device) builds.
/// </summary>
public sealed class BuiltInArchitectureTests
{
    private static readonly Composition Composition = new();

    private static string KeysFixture(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "hf", "keys", name + ".json");

    public static IEnumerable<string> Names() => BuiltInArchitectures.All.Ids;

    /// <summary>
    /// Hugging Face keys PeftBench does not hold, each for a stated reason: BERT's pooler (the harness's heads read the
    /// first token; the pooler's shapes are counted in the head instead) and index buffers that are not parameters.
    /// </summary>
    private static bool DeliberatelyAbsent(string key) =>
        key.StartsWith("pooler.", StringComparison.Ordinal) || key.EndsWith("position_ids", StringComparison.Ordinal)
        || key.EndsWith("token_type_ids", StringComparison.Ordinal);

    [TestCaseSource(nameof(Names))]
    public void EveryBuiltInResolvesAndBuildsShapeOnly(string name)
    {
        var source = ModelResolver.Resolve(name);
        Assert.That(source.Kind, Is.EqualTo(ModelSourceKind.BuiltIn));
        using var backbone = BackboneFamilies.Build(source.ConfigJson, source.ConfigSource, new Device(DeviceType.META));
        Assert.That(backbone.parameters().All(p => p.device.type == DeviceType.META), "shape-only builds allocate nothing");
        Assert.That(backbone.Sites.Linears, Is.Not.Empty);
    }

    [TestCaseSource(nameof(Names))]
    public void ParameterNamesAndShapesMatchHuggingFace(string name)
    {
        var fixture = JsonNode.Parse(File.ReadAllText(KeysFixture(name)))!;
        var source = ModelResolver.Resolve(name);
        // transformers 5 names ViT/AST modules differently in memory (layers.N.attention.q_proj) than in the
        // checkpoints on disk (encoder.layer.N.attention.attention.query), which are what PeftBench keeps.
        Func<string, string?> checkpointName = source.ModelType is VitConfig.Type or AstConfig.Type ? HfVisionLoader.MapName : k => k;
        var expected = fixture["keys"]!.AsArray()
            .Select(k => (Name: checkpointName(k![0]!.GetValue<string>()), Shape: k[1]!.AsArray().Select(d => d!.GetValue<long>()).ToArray()))
            .Where(k => k.Name is not null && !DeliberatelyAbsent(k.Name))
            .ToDictionary(k => k.Name!, k => k.Shape);
        using var backbone = BackboneFamilies.Build(source.ConfigJson, source.ConfigSource, new Device(DeviceType.META));
        var actual = CheckpointShapes(backbone);
        Assert.That(actual.Keys.Order(), Is.EqualTo(expected.Keys.Order()), $"{name}: parameter names");
        foreach (var (key, shape) in expected)
            Assert.That(actual[key], Is.EqualTo(shape), $"{name}: {key}");
    }

    [TestCaseSource(nameof(Names))]
    public void LoraCountsEqualPeftsOnItsDefaultTargets(string name)
    {
        var fixture = JsonNode.Parse(File.ReadAllText(KeysFixture(name)))!;
        var peft = fixture["peft_lora_r8_default_targets"];
        if (peft is null) Assert.Ignore($"{name}: peft 0.21 has no default LoRA targets for this family in the fixture run.");
        var targets = string.Join(",", peft!["targets"]!.AsArray().Select(t => t!.GetValue<string>()));
        var report = Count(name, "lora", ["rank=8", "alpha=16", $"targets={targets}"], numLabels: null);
        Assert.That(report.AdapterParams, Is.EqualTo(peft["trainable_params"]!.GetValue<long>()));
        Assert.That(report.MethodFormulaParams, Is.EqualTo(report.AdapterParams), "the budget-fitting formula equals the instantiated count");
        // The same sites by role: LoRA's role defaults (attn.q, attn.v) select c_attn on GPT-2, q_proj/v_proj on LLaMA.
        Assert.That(Count(name, "lora", ["rank=8"], null).AdapterParams, Is.EqualTo(report.AdapterParams));
    }

    [TestCaseSource(nameof(Names))]
    public void TotalWithHeadEqualsHuggingFacesClassificationModel(string name)
    {
        var fixture = JsonNode.Parse(File.ReadAllText(KeysFixture(name)))!;
        var report = Count(name, "linear-probe", [], numLabels: 2);
        Assert.That(report.TotalParams, Is.EqualTo(fixture["seqcls_total_params"]!.GetValue<long>()),
            $"{fixture["seqcls_class"]} with 2 labels");
        Assert.That(report.TrainableParams, Is.EqualTo(report.HeadParams));
        Assert.That(report.TotalParams, Is.EqualTo(report.BackboneParams + report.HeadParams));
    }

    public static IEnumerable<TestCaseData> MethodsOnFamilies() =>
        from model in new[] { "roberta-base", "gpt2", "llama-3.2-1b", "vit-base-patch16-224" }
        from method in Composition.Methods.Ids
        select new TestCaseData(model, method).SetArgDisplayNames(model, method);

    /// <summary>Every registered method attaches shape-only to every family (fused GPT-2 c_attn, GQA, ViT), and its own count equals the instantiated one.</summary>
    [TestCaseSource(nameof(MethodsOnFamilies))]
    public void EveryMethodCountsShapeOnlyOnEveryFamily(string model, string methodId)
    {
        var method = Composition.Methods.Get(methodId);
        if (methodId is "prompt-tuning" or "p-tuning" && model.StartsWith("vit", StringComparison.Ordinal))
            Assert.That(() => Count(model, methodId, [], numLabels: 2), Throws.Exception.With.Message.Contains("token-embedding"));
        else if (methodId == "bitfit" && model.StartsWith("llama", StringComparison.Ordinal))
            Assert.That(() => Count(model, methodId, [], numLabels: 2), Throws.ArgumentException.With.Message.Contains("no bias terms"),
                "LLaMA has no biases: BitFit is not applicable and says so");
        else if (methodId.StartsWith("vpt-", StringComparison.Ordinal) && !model.StartsWith("vit", StringComparison.Ordinal))
            Assert.That(() => Count(model, methodId, [], numLabels: 2), Throws.ArgumentException.With.Message.Contains("not applicable").And.Message.Contains("patches"),
                "visual prompts need a patch sequence: VPT on a text model is not applicable and says so");
        else if (methodId == "light-peft" && model.StartsWith("vit", StringComparison.Ordinal))
            Assert.That(() => Count(model, methodId, [], numLabels: 2), Throws.ArgumentException.With.Message.Contains("not applicable").And.Message.Contains("patch"),
                "Light-PEFT's estimation pass reads token batches: not applicable to patches here, and says so");
        else if (methodId == "light-peft" && model == "llama-3.2-1b")
            Assert.That(() => Count(model, methodId, [], numLabels: 2), Throws.ArgumentException.With.Message.Contains("not applicable").And.Message.Contains("heads"),
                "grouped-query attention: key/value sites do not give the head layout Light-PEFT prunes, and it says so");
        else if (methodId == "dept" && model.StartsWith("vit", StringComparison.Ordinal))
            Assert.That(() => Count(model, methodId, [], numLabels: 2), Throws.ArgumentException.With.Message.Contains("not applicable").And.Message.Contains("token"),
                "DePT updates token embeddings: not applicable to patches, and says so");
        else
        {
            var report = Count(model, methodId, [], numLabels: 2);
            Assert.That(report.MethodFormulaParams, Is.EqualTo(report.AdapterParams + report.UnfrozenBackboneParams), $"{methodId} on {model}");
            Assert.That(report.TotalParams, Is.EqualTo(report.BackboneParams + report.HeadParams + report.AdapterParams));
            if (method.Knob is not null) Assert.That(report.AdapterParams, Is.GreaterThan(0));
        }
    }

    [Test]
    public void LlamaSevenBLoraReportsPeftsCountsFromTheCommandLine()
    {
        var output = new StringWriter();
        var exit = ParamsCommand.Execute(new ParamsCommand.Request("llama-7b", "lora", ["rank=8", "targets=q_proj,v_proj"], null, Json: true),
            Composition, output, new StringWriter());
        Assert.That(exit, Is.EqualTo(ExitCodes.Ok));
        var json = JsonNode.Parse(output.ToString())!;
        Assert.That(json["adapter_params"]!.GetValue<long>(), Is.EqualTo(4_194_304));
        Assert.That(json["trainable_params"]!.GetValue<long>(), Is.EqualTo(4_194_304));
        Assert.That(json["head_params"]!.GetValue<long>(), Is.EqualTo(0));
        Assert.That(json["total_params"]!.GetValue<long>(), Is.EqualTo(6_607_343_616 + 4_194_304), "peft's total for LlamaModel + LoRA");
    }

    [Test]
    public void BadRequestsFailBeforeBuildingWithUsefulMessages()
    {
        string Run(string model, string method, params string[] settings)
        {
            var error = new StringWriter();
            var exit = ParamsCommand.Execute(new ParamsCommand.Request(model, method, settings, null, false), Composition, new StringWriter(), error);
            Assert.That(exit, Is.EqualTo(ExitCodes.Usage), error.ToString());
            return error.ToString();
        }
        Assert.That(Run("llama-7", "lora"), Does.Contain("llama-7b"));
        Assert.That(Run("bert-base-uncased", "lorra"), Does.Contain("lora"));
        Assert.That(Run("bert-base-uncased", "lora", "rnak=4"), Does.Contain("rank"));
        Assert.That(Run("bert-base-uncased", "lora", "targets=nothing_here"), Does.Contain("nothing_here"));
        Assert.That(Run("no-such-org/no-such-model", "lora"), Does.Contain("never downloads"));
    }

    [Test]
    public void ResolvesOrgNameFromALocalHuggingFaceCache()
    {
        var hub = Directory.CreateTempSubdirectory("hf-hub-").FullName;
        try
        {
            var repo = Path.Combine(hub, "models--acme--tiny-roberta");
            var snapshot = Path.Combine(repo, "snapshots", "0123abc");
            Directory.CreateDirectory(snapshot);
            Directory.CreateDirectory(Path.Combine(repo, "refs"));
            File.WriteAllText(Path.Combine(repo, "refs", "main"), "0123abc\n");
            File.Copy(Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "hf", "peft", "roberta-tiny", "config.json"),
                Path.Combine(snapshot, "config.json"));
            var source = ModelResolver.Resolve("acme/tiny-roberta", hubCache: hub);
            Assert.That(source.Kind, Is.EqualTo(ModelSourceKind.HuggingFaceCache));
            Assert.That(source.Folder, Is.EqualTo(snapshot));
            Assert.That(source.ModelType, Is.EqualTo("roberta"));
            Assert.Throws<DirectoryNotFoundException>(() => ModelResolver.Resolve("acme/other", hubCache: hub));
        }
        finally { Directory.Delete(hub, recursive: true); }
    }

    private static ParameterReport Count(string model, string methodId, string[] settings, long? numLabels)
    {
        var method = Composition.Methods.Get(methodId);
        var config = method.DefaultConfig;
        foreach (var s in settings) config = config.With(s);
        return ParameterAccounting.Count(ModelResolver.Resolve(model), method, config, numLabels);
    }

    /// <summary>Parameter shapes as the Hugging Face checkpoint stores them (GPT-2's Conv1D weights transposed).</summary>
    private static Dictionary<string, long[]> CheckpointShapes(Backbone backbone)
    {
        var transposed = backbone.Sites.Linears.Where(l => l.CheckpointTransposed).Select(l => l.Path + ".weight").ToHashSet();
        return backbone.named_parameters().ToDictionary(p => p.name,
            p => transposed.Contains(p.name) ? p.parameter.shape.Reverse().ToArray() : p.parameter.shape);
    }
}
