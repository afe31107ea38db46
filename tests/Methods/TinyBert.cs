using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Tests.Methods;

/// <summary>
/// The small random encoder the method contracts run on: vocab 200, d 32, 2 layers, 4 heads, FFN 64, 64
/// positions, a 3-class head, and a fixed 6×10 batch with padding. Everything is seeded.
/// </summary>
internal static class TinyBert
{
    public const long BackboneSeed = 1234;
    public const long Classes = 3;

    public static EncoderConfig Config => new()
    {
        VocabSize = 200, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 64,
        MaxPositionEmbeddings = 64,
    };

    /// <summary>Backbone and head from the global generator seeded here: the same model on every call.</summary>
    public static SequenceClassifier Create(long seed = BackboneSeed)
    {
        torch.manual_seed(seed);
        var model = new SequenceClassifier(new BertEncoder(Config), Classes, headDropout: 0.1);
        model.eval();
        return model;
    }

    /// <summary>The init generator from <paramref name="seed"/>, and the fixed batch as calibration data (CorDA).</summary>
    public static MethodContext Context(ulong seed) => new(CPU, new Generator(seed, CPU))
    {
        Calibration = _ => new[] { Batch().Batch },
        LabelledCalibration = _ => new LabelledCalibration(new[] { Batch() }, IsRegression: false),
    };

    /// <summary>A fixed batch: CLS (id 2) first, random tokens, the last rows padded.</summary>
    public static (TokenBatch Batch, Tensor Labels) Batch()
    {
        using var g = new Generator(99, CPU);
        var ids = randint(3, 200, new long[] { 6, 10 }, generator: g, dtype: ScalarType.Int64);
        ids[TensorIndex.Colon, 0] = tensor(2L);
        var mask = ones(6, 10, dtype: ScalarType.Int64);
        mask[4, TensorIndex.Slice(7)] = tensor(0L);
        mask[5, TensorIndex.Slice(5)] = tensor(0L);
        ids.masked_fill_(mask.eq(0), 0);
        var labels = tensor(new long[] { 0, 1, 2, 0, 1, 2 });
        return (new TokenBatch(ids, mask, null), labels);
    }

    public static Tensor Logits(SequenceClassifier model, ModelInputs batch)
    {
        using var _ = no_grad();
        return model.call(batch).detach();
    }

    /// <summary>One AdamW step over the attachment's groups, in a dispose scope; returns the loss before the step.</summary>
    public static float Step(SequenceClassifier model, optim.Optimizer optimizer, ModelInputs batch, Tensor labels)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var loss = F.cross_entropy(model.call(batch), labels);
        loss.backward();
        optimizer.step();
        return loss.item<float>();
    }

    public static float Loss(SequenceClassifier model, ModelInputs batch, Tensor labels)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return F.cross_entropy(model.call(batch), labels).item<float>();
    }

    public static optim.Optimizer AdamW(SequenceClassifier model, MethodAttachment attachment) =>
        optim.AdamW(attachment.ParameterGroups(model)
            .Select(g => new AdamW.ParamGroup(g.Parameters, lr: g.LearningRate))
            .ToList());
}

/// <summary>
/// Training steps on a fixed batch as the harness's trainer takes them: the attachment's own zeroth-order step where it
/// has one (no optimizer, no backward, loss under no_grad), AdamW at each group's rate otherwise.
/// </summary>
internal sealed class TinyTrainer : IDisposable
{
    private readonly SequenceClassifier model;
    private readonly MethodAttachment attachment;
    private readonly optim.Optimizer? optimizer;
    private int steps;

    public TinyTrainer(SequenceClassifier model, MethodAttachment attachment)
    {
        this.model = model;
        this.attachment = attachment;
        if (attachment is not IZerothOrderStep) optimizer = TinyBert.AdamW(model, attachment);
    }

    /// <summary>One step; returns the loss before it (the zeroth-order step's (ℓ₊ + ℓ₋)/2).</summary>
    public float Step(ModelInputs batch, Tensor labels)
    {
        if (attachment is not IZerothOrderStep zerothOrder) return TinyBert.Step(model, optimizer!, batch, labels);
        var parameters = attachment.ParameterGroups(model).SelectMany(g => g.Parameters).ToList();
        return (float)zerothOrder.Step(parameters, () => TinyBert.Loss(model, batch, labels), attachment.Config.LearningRate, 0, steps++);
    }

    public void Dispose() => optimizer?.Dispose();
}

/// <summary>
/// A small random ViT (d 32, 2 layers, 4 heads, 16×16 images in 8×8 patches: CLS + 4 patches) with a 3-class head and a
/// fixed batch of 6 images: the contract model for methods that apply to patch sequences only (VPT).
/// </summary>
internal static class TinyVit
{
    public static VitConfig Config => new()
    {
        HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 64, ImageSize = 16, PatchSize = 8, NumChannels = 3,
    };

    public static SequenceClassifier Create()
    {
        torch.manual_seed(TinyBert.BackboneSeed);
        var model = new SequenceClassifier(new VitModel(Config), TinyBert.Classes, headDropout: 0.1);
        // The head as the cell runner re-initialises it (Kaiming-uniform, zero bias): the ViT head's own truncated-normal
        // init comes out constant under TorchSharp 0.107 (every weight 0.02), which makes every logit 0 on LayerNormed features.
        using (no_grad())
            foreach (var (name, p) in model.Head.named_parameters())
                if (name.EndsWith("weight", StringComparison.Ordinal)) nn.init.kaiming_uniform_(p, Math.Sqrt(5));
                else p.zero_();
        model.eval();
        return model;
    }

    public static (ModelInputs Batch, Tensor Labels) Batch()
    {
        using var g = new Generator(99, CPU);
        return (new PixelBatch(randn(new long[] { 6, 3, 16, 16 }, generator: g)), tensor(new long[] { 0, 1, 2, 0, 1, 2 }));
    }
}

/// <summary>The contract model of a method: the tiny encoder, or the tiny ViT for methods that do not apply to text.</summary>
internal sealed record TinyModel(string Name, Func<SequenceClassifier> Create, Func<(ModelInputs Batch, Tensor Labels)> Batch)
{
    public static readonly TinyModel Bert = new("tiny-bert", () => TinyBert.Create(), () => TinyBert.Batch());
    public static readonly TinyModel Vit = new("tiny-vit", TinyVit.Create, TinyVit.Batch);

    public static TinyModel For(IPeftMethod method)
    {
        using var probe = TinyBert.Create();
        return method.NotApplicableReason(probe.Sites) is null ? Bert : Vit;
    }
}
