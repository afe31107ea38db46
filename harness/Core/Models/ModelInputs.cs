using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>A batch for a backbone: token ids for text models, pixels for ViT, filterbank frames for audio.</summary>
public abstract record ModelInputs
{
    public abstract long BatchSize { get; }
}

/// <summary>A token batch: ids, mask and segment ids, each [B, T].</summary>
public sealed record TokenBatch(Tensor InputIds, Tensor AttentionMask, Tensor? TokenTypeIds) : ModelInputs
{
    /// <summary>
    /// [B, T], 1 where hidden-state interventions (LoReFT) act; null: every real token. Prompt → response batches set it
    /// to the prompt tokens, as pyreft does, so that the response a model is trained on is not itself intervened on.
    /// </summary>
    public Tensor? InterventionMask { get; init; }

    public override long BatchSize => InputIds.shape[0];
}

/// <summary>Images as Hugging Face's <c>pixel_values</c>: [B, C, H, W], already normalised.</summary>
public sealed record PixelBatch(Tensor PixelValues) : ModelInputs
{
    public override long BatchSize => PixelValues.shape[0];
}

/// <summary>Audio as Hugging Face AST's <c>input_values</c>: log-mel filterbank frames [B, frames, mel bins], normalised.</summary>
public sealed record SpectrogramBatch(Tensor InputValues) : ModelInputs
{
    public override long BatchSize => InputValues.shape[0];
}
