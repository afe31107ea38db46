using PeftBench.Core.Models;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// The linear probe used to sanity-check pretrained features (as MAE and SimMIM report): frozen backbone features,
/// standardised with the training set's statistics, and a multinomial logistic regression trained full-batch
/// (Adam, 300 steps, lr 0.01, L2 10⁻³). Features: the first token (CLS; for AST the mean of CLS and distillation
/// tokens, its classifier's pooling) and the mean of the patch tokens. Deterministic for a given thread count.
/// </summary>
public static class LinearProbe
{
    public const string Classifier = "softmax regression on standardised frozen features; Adam 300 full-batch steps, lr 0.01, L2 1e-3";

    /// <summary>Feature name → [N, d] features of every example of <paramref name="data"/>.</summary>
    public static Dictionary<string, Tensor> Features(PatchTransformer backbone, IPatchCorpus data, long seed, int batchSize = 128)
    {
        var rng = new Random((int)(seed & int.MaxValue));
        var pooled = new List<Tensor>();
        var meanPatch = new List<Tensor>();
        int special = backbone.TransformerConfig.SpecialTokens;
        backbone.eval();
        using (no_grad())
        {
            for (int start = 0; start < data.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var indices = Enumerable.Range(start, Math.Min(batchSize, data.Count - start)).ToArray();
                var hidden = backbone.Forward(data.Batch(indices, rng, augment: false).ToInputs());
                pooled.Add(hidden.narrow(1, 0, special).mean(new long[] { 1 }).MoveToOuterDisposeScope());
                meanPatch.Add(hidden.narrow(1, special, hidden.shape[1] - special).mean(new long[] { 1 }).MoveToOuterDisposeScope());
            }
        }
        backbone.train();
        return new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["cls"] = cat(pooled, 0), ["mean_patch"] = cat(meanPatch, 0) };
    }

    /// <summary>Test accuracy of a softmax regression fitted on (<paramref name="train"/>, <paramref name="trainLabels"/>).</summary>
    public static double Accuracy(Tensor train, long[] trainLabels, Tensor test, long[] testLabels, int classes, long seed)
    {
        using var scope = NewDisposeScope();
        var mean = train.mean(new long[] { 0 }, keepdim: true);
        var std = train.std(0, keepdim: true) + 1e-6;
        var x = (train - mean) / std;
        var xTest = (test - mean) / std;
        var generator = new Generator((ulong)seed);
        var weight = new TorchSharp.Modules.Parameter(randn(x.shape[1], classes, generator: generator) * 0.01);
        var bias = new TorchSharp.Modules.Parameter(zeros(classes));
        var y = tensor(trainLabels);
        using var optimizer = optim.Adam(new[] { weight, bias }, lr: 0.01);
        for (int step = 0; step < 300; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = F.cross_entropy(x.mm(weight) + bias, y) + 1e-3 * weight.pow(2).sum();
            loss.backward();
            optimizer.step();
        }
        using (no_grad())
        {
            var predicted = (xTest.mm(weight) + bias).argmax(1);
            return predicted.eq(tensor(testLabels)).to_type(ScalarType.Float64).mean().item<double>();
        }
    }
}
