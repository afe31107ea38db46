using PeftBench.Core.Models;
using static TorchSharp.torch;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// A batch built outside any dispose scope as plain arrays (decoding, augmentation and feature extraction are done),
/// turned into tensors inside the training step's scope by <see cref="ToInputs"/>.
/// </summary>
public sealed record ExampleBatch(float[] Values, long[] Shape, Func<Tensor, ModelInputs> Wrap)
{
    public int Count => (int)Shape[0];
    public ModelInputs ToInputs() => Wrap(tensor(Values, Shape));
}

/// <summary>Unlabelled examples a masked-patch model learns from: images (tiny-vit) or spoken-word clips (tiny-ast).</summary>
public interface IPatchCorpus
{
    int Count { get; }

    /// <summary>
    /// The examples at <paramref name="indices"/>, in order, as the backbone's inputs. Draws any randomness (image
    /// flips when <paramref name="augment"/>, a clip's placement and noise) from <paramref name="rng"/> in example order.
    /// </summary>
    ExampleBatch Batch(IReadOnlyList<int> indices, Random rng, bool augment);
}

/// <summary>The order examples are visited in: a fresh seeded permutation every epoch, forever.</summary>
public static class ExampleOrder
{
    public static IEnumerable<int> Shuffled(int count, Random rng)
    {
        var order = Enumerable.Range(0, count).ToArray();
        while (true)
        {
            rng.Shuffle(order);
            foreach (var i in order) yield return i;
        }
    }
}
