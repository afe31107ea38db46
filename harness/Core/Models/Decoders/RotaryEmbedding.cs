using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// Rotary position embedding (Su et al., 2021, RoFormer eq. 34) in transformers' half-rotation layout:
/// x' = x·cos θ + rotate_half(x)·sin θ with θ = position · θ_base^(−2i/d), plus the <c>llama3</c> and <c>linear</c>
/// frequency scalings. The inverse frequencies are computed once in float64 on the CPU and are not parameters
/// (Hugging Face keeps them in a non-persistent buffer), so nothing of this appears in a state dict.
/// </summary>
public sealed class RotaryEmbedding
{
    private readonly float[] inverseFrequencies;

    public RotaryEmbedding(DecoderConfig config) => inverseFrequencies = InverseFrequencies(config);

    public IReadOnlyList<float> InverseFrequencyValues => inverseFrequencies;

    /// <summary>θ_i = base^(−2i/d), then scaled as <c>rope_scaling</c> asks (transformers' <c>_compute_llama3_parameters</c>).</summary>
    public static float[] InverseFrequencies(DecoderConfig config)
    {
        int dim = config.HeadDim;
        // As transformers: arange(0, dim, 2) in int64 → float, base ** (… / dim), reciprocal in float32.
        var freqs = Enumerable.Range(0, dim / 2).Select(i => (float)(1.0 / Math.Pow(config.RopeTheta, (float)(2 * i) / dim))).ToArray();
        if (config.RopeScaling is not { } s) return freqs;
        if (s.RopeType == "linear") return freqs.Select(f => (float)(f / s.Factor)).ToArray();
        double lowFreqWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
        double highFreqWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        return freqs.Select(f =>
        {
            double wavelen = 2 * Math.PI / f;
            double scaled = wavelen > lowFreqWavelen ? f / s.Factor : f;
            bool medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (!medium) return (float)scaled;
            double smooth = (s.OriginalMaxPositionEmbeddings / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
            return (float)((1 - smooth) * scaled / s.Factor + smooth * scaled);
        }).ToArray();
    }

    /// <summary>cos and sin [B, 1, T, d] for positions [B, T], in <paramref name="dtype"/>.</summary>
    public (Tensor Cos, Tensor Sin) CosSin(Tensor positions, ScalarType dtype)
    {
        var inv = tensor(inverseFrequencies, device: positions.device);
        var angles = positions.to_type(ScalarType.Float32).unsqueeze(-1) * inv; // [B, T, d/2]
        var emb = cat(new[] { angles, angles }, -1).unsqueeze(1);
        return (emb.cos().to_type(dtype), emb.sin().to_type(dtype));
    }

    /// <summary>Rotates [B, heads, T, d] by the angles of <see cref="CosSin"/>.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        long half = x.shape[^1] / 2;
        var rotated = cat(new[] { -x.narrow(-1, half, half), x.narrow(-1, 0, half) }, -1);
        return x * cos + rotated * sin;
    }
}
