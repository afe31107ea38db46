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
    public static MethodContext Context(ulong seed) => new(CPU, new Generator(seed, CPU)) { Calibration = _ => new[] { Batch().Batch } };

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

    public static Tensor Logits(SequenceClassifier model, TokenBatch batch)
    {
        using var _ = no_grad();
        return model.call(batch).detach();
    }

    /// <summary>One AdamW step over the attachment's groups, in a dispose scope; returns the loss before the step.</summary>
    public static float Step(SequenceClassifier model, optim.Optimizer optimizer, TokenBatch batch, Tensor labels)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var loss = F.cross_entropy(model.call(batch), labels);
        loss.backward();
        optimizer.step();
        return loss.item<float>();
    }

    public static float Loss(SequenceClassifier model, TokenBatch batch, Tensor labels)
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
