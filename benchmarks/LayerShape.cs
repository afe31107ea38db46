using System.Globalization;

namespace PeftBench.Benchmarks;

/// <summary>
/// The width of the encoder the layer is cut from and the activations it is timed on: <see cref="Batch"/> sequences of
/// <see cref="Tokens"/> tokens, so the layer sees Batch × Tokens rows per call.
/// </summary>
public sealed record LayerShape(int Hidden, int Batch, int Tokens)
{
    /// <summary>tiny-bert's width and a BERT-base width, at the default recipe's batch of 32 × up to 64 tokens.</summary>
    public static IReadOnlyList<LayerShape> All { get; } = [new(128, 32, 64), new(768, 32, 64)];

    /// <summary>How BenchmarkDotNet's tables and our summary name it: <c>d128 b32x64</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"d{Hidden} b{Batch}x{Tokens}");
}
