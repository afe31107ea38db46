using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using static TorchSharp.torch;

namespace PeftBench.Harness.Planning;

/// <summary>Token ids and segment ids of one (possibly paired) example.</summary>
public sealed record EncodedText(long[] InputIds, long[] TokenTypeIds);

/// <summary>
/// A resolved backbone: its identity (id and weights checksum, both in cell keys), its shape for planning
/// (sites and parameter count, so budgets are fitted before anything trains), fresh pretrained copies for
/// each cell, and its own tokenizer. Encoders (BERT, RoBERTa) and decoders (LLaMA, GPT-2 …) alike: the cell puts
/// the family's own classification head on <see cref="CreateBackbone"/>.
/// </summary>
public interface IBackboneSource
{
    string Id { get; }
    string Sha256 { get; }
    /// <summary>Hugging Face <c>model_type</c> (<c>bert</c>, <c>llama</c> …).</summary>
    string ModelType { get; }
    /// <summary>Dropout before the classification head (the encoder's <c>hidden_dropout_prob</c>; 0 for decoders, whose score head has none).</summary>
    double HeadDropout { get; }
    /// <summary>Longest input in tokens the backbone's positions allow.</summary>
    int MaxSequenceLength { get; }
    SiteRegistry Sites { get; }
    long ParameterCount { get; }
    long PadId { get; }
    Backbone CreateBackbone(Device device);
    EncodedText Encode(string textA, string? textB, int maxLength);
}
