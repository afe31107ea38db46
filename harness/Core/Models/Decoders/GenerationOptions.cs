namespace PeftBench.Core.Models;

/// <summary>
/// How <see cref="CausalLm.Generate"/> picks tokens, with transformers' <c>GenerationConfig</c> defaults: greedy
/// unless <see cref="DoSample"/>; when sampling, temperature, then top-k (50), then top-p (nucleus; Holtzman et
/// al., 2020), in that order. Stops a row at any of the end-of-sequence ids and pads it afterwards.
/// </summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 20;
    public bool DoSample { get; init; }
    public double Temperature { get; init; } = 1.0;
    /// <summary>Keep the k most likely tokens; 0 disables.</summary>
    public int TopK { get; init; } = 50;
    /// <summary>Keep the smallest set of tokens whose probability reaches p; 1 disables.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Reuse keys/values of earlier positions (exactly the same tokens as recomputing, much faster).</summary>
    public bool UseCache { get; init; } = true;
    /// <summary>Overrides the config's <c>eos_token_id</c>; an empty list never stops early.</summary>
    public TokenIdList? EosTokenIds { get; init; }
    /// <summary>Fills rows that have finished; defaults to the config's pad id, else its first eos id.</summary>
    public int? PadTokenId { get; init; }

    public IEnumerable<string> Validate()
    {
        if (MaxNewTokens < 0) yield return $"MaxNewTokens must be ≥ 0 (got {MaxNewTokens}).";
        if (DoSample && !(Temperature > 0)) yield return $"Temperature must be > 0 when sampling (got {Temperature}); use greedy decoding for temperature 0.";
        if (TopK < 0) yield return $"TopK must be ≥ 0 (got {TopK}).";
        if (!(TopP > 0 && TopP <= 1)) yield return $"TopP must lie in (0, 1] (got {TopP}).";
    }
}
