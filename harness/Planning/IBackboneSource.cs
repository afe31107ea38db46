using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using static TorchSharp.torch;

namespace PeftBench.Harness.Planning;

/// <summary>Token ids and segment ids of one (possibly paired) example.</summary>
public sealed record EncodedText(long[] InputIds, long[] TokenTypeIds);

/// <summary>
/// A resolved backbone: its identity (id and weights checksum, both in cell keys), its shape for planning
/// (sites and parameter count, so budgets are fitted before anything trains), fresh pretrained copies for
/// each cell, and its own tokenizer.
/// </summary>
public interface IBackboneSource
{
    string Id { get; }
    string Sha256 { get; }
    EncoderConfig Config { get; }
    SiteRegistry Sites { get; }
    long ParameterCount { get; }
    long PadId { get; }
    EncoderBackbone CreateBackbone(Device device);
    EncodedText Encode(string textA, string? textB, int maxLength);
}
