using NUnit.Framework;
using PeftBench.Core.Checkpoints;
using PeftBench.Methods;
using TorchSharp;
using static TorchSharp.torch;

namespace PeftBench.Tests.Methods;

/// <summary>
/// A folder laid out as huggingface/peft writes it (no PeftBench metadata): adapter_config.json with peft's
/// LoraConfig fields and adapter_model.safetensors with peft's keys for a BERT sequence classifier. Written here
/// with the safetensors writer, so the fixture documents the layout it stands for.
/// </summary>
[TestFixture]
public sealed class PeftAdapterFolderTests
{
    private string directory = "";

    [SetUp]
    public void Create() => directory = Path.Combine(Path.GetTempPath(), $"peftbench-peft-fixture-{Environment.ProcessId}-{TestContext.CurrentContext.Test.Name}");

    [TearDown]
    public void Remove()
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    private Dictionary<string, Tensor> WriteFixture(bool dora)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, PeftAdapterCheckpoint.ConfigFile), $$"""
            {
              "base_model_name_or_path": "bert-base-uncased",
              "bias": "none",
              "fan_in_fan_out": false,
              "inference_mode": true,
              "init_lora_weights": true,
              "lora_alpha": 4,
              "lora_dropout": 0.1,
              "modules_to_save": ["classifier", "score"],
              "peft_type": "LORA",
              "r": 2,
              "target_modules": ["query", "value"],
              "task_type": "SEQ_CLS",
              "use_dora": {{(dora ? "true" : "false")}},
              "use_rslora": false
            }
            """);
        using var g = new Generator(5, CPU);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var layer in new[] { 0, 1 })
        foreach (var module in new[] { "query", "value" })
        {
            var key = $"base_model.model.bert.encoder.layer.{layer}.attention.self.{module}";
            tensors[$"{key}.lora_A.weight"] = randn(new long[] { 2, 32 }, generator: g);
            tensors[$"{key}.lora_B.weight"] = randn(new long[] { 32, 2 }, generator: g);
            if (dora) tensors[$"{key}.lora_magnitude_vector"] = rand(new long[] { 32 }, generator: g) + 1;
        }
        tensors["base_model.model.classifier.dense.weight"] = randn(new long[] { 32, 32 }, generator: g);
        tensors["base_model.model.classifier.dense.bias"] = randn(new long[] { 32 }, generator: g);
        tensors["base_model.model.classifier.out_proj.weight"] = randn(new long[] { 3, 32 }, generator: g);
        tensors["base_model.model.classifier.out_proj.bias"] = randn(new long[] { 3 }, generator: g);
        Safetensors.Write(Path.Combine(directory, PeftAdapterCheckpoint.WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        return tensors;
    }

    [Test]
    public void ReadsAPeftLoraFolderIntoAFreshModel()
    {
        var written = WriteFixture(dora: false);
        var folder = PeftAdapterCheckpoint.Load(directory);
        using var model = TinyBert.Create();
        var config = (LoraConfig)PeftAdapterCheckpoint.ApplyTo(folder, model, MethodCatalog.Create().Get(folder.MethodId), TinyBert.Context(1));
        var query = model.Sites.Linears.Single(l => l.Path == "encoder.layer.1.attention.self.query");
        var adapter = (LoraAdapter)query.Adapters[0];
        Assert.Multiple(() =>
        {
            Assert.That(folder.MethodId, Is.EqualTo("lora"));
            Assert.That(folder.ConfigJson, Is.Null, "peft writes no PeftBench metadata");
            Assert.That((config.Rank, config.Alpha, config.Dropout), Is.EqualTo((2, 4.0, 0.1)));
            Assert.That(config.Targets, Is.EqualTo(new[] { "query", "value" }));
            Assert.That(adapter.Scaling, Is.EqualTo(2.0));
            Assert.That(adapter.lora_A.equal(written["base_model.model.bert.encoder.layer.1.attention.self.query.lora_A.weight"]).all().item<bool>());
            Assert.That(adapter.lora_B.equal(written["base_model.model.bert.encoder.layer.1.attention.self.query.lora_B.weight"]).all().item<bool>());
            Assert.That(model.Head.named_parameters().Single(p => p.name == "out_proj.weight").parameter
                .equal(written["base_model.model.classifier.out_proj.weight"]).all().item<bool>());
        });
    }

    [Test]
    public void ReadsAPeftDoraFolderAsDora()
    {
        var written = WriteFixture(dora: true);
        var folder = PeftAdapterCheckpoint.Load(directory);
        using var model = TinyBert.Create();
        PeftAdapterCheckpoint.ApplyTo(folder, model, MethodCatalog.Create().Get(folder.MethodId), TinyBert.Context(1));
        var value = (DoraAdapter)model.Sites.Linears.Single(l => l.Path == "encoder.layer.0.attention.self.value").Adapters[0];
        Assert.Multiple(() =>
        {
            Assert.That(folder.MethodId, Is.EqualTo("dora"));
            Assert.That(value.lora_magnitude_vector.equal(written["base_model.model.bert.encoder.layer.0.attention.self.value.lora_magnitude_vector"]).all().item<bool>());
        });
    }

    [Test]
    public void RefusesATensorThatMatchesNoModule()
    {
        var written = WriteFixture(dora: false);
        written["base_model.model.bert.encoder.layer.7.attention.self.query.lora_A.weight"] = zeros(2, 32);
        Safetensors.Write(Path.Combine(directory, PeftAdapterCheckpoint.WeightsFile), written, new Dictionary<string, string> { ["format"] = "pt" });
        var folder = PeftAdapterCheckpoint.Load(directory);
        using var model = TinyBert.Create();
        var error = Assert.Throws<InvalidDataException>(() => PeftAdapterCheckpoint.ApplyTo(folder, model, MethodCatalog.Create().Get("lora"), TinyBert.Context(1)));
        Assert.That(error!.Message, Does.Contain("layer.7"));
    }
}
