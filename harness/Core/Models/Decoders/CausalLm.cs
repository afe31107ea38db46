using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Core.Models;

/// <summary>
/// A decoder with its language-model head, laid out as transformers' <c>*ForCausalLM</c>: the backbone under its
/// <c>base_model_prefix</c> (<c>transformer.</c> for <c>GPT2LMHeadModel</c>, <c>model.</c> for
/// <c>LlamaForCausalLM</c>/<c>Qwen2ForCausalLM</c>) and a bias-free <c>lm_head</c>. With <c>tie_word_embeddings</c>
/// the head is the token embedding itself (no parameter of its own; <see cref="HfStateDict"/> still lists
/// <c>lm_head.weight</c> as Hugging Face's state dict does). Generation is batched over left-padded prompts,
/// with or without a key/value cache.
/// </summary>
public sealed class CausalLm : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly DecoderBackbone backbone;
    private readonly Linear? lm_head;

    public DecoderBackbone Backbone => backbone;
    public DecoderConfig Config => backbone.Config;
    public bool Tied => lm_head is null;

    /// <summary>The output projection [vocab, d]: the embedding table when tied.</summary>
    public Tensor LmHeadWeight => lm_head?.weight ?? backbone.TokenEmbeddings.weight!;

    public CausalLm(DecoderBackbone backbone, Device? device = null, ScalarType? dtype = null) : base(nameof(CausalLm))
    {
        this.backbone = backbone;
        var c = backbone.Config;
        if (!c.TieWordEmbeddings) lm_head = nn.Linear(c.HiddenSize, c.VocabSize, hasBias: false, device: device, dtype: dtype);
        // Registered by hand under Hugging Face's names.
        register_module(backbone.BaseModelPrefix, backbone);
        if (lm_head is not null) register_module("lm_head", lm_head);
    }

    /// <summary>Builds the backbone the config names (GPT-2 or LLaMA-style) and its head, every parameter on <paramref name="device"/>.</summary>
    public static CausalLm Create(DecoderConfig config, Device? device = null, ScalarType? dtype = null) =>
        new(DecoderBackbones.Create(config, device, dtype), device, dtype);

    /// <summary>Logits [B, T, vocab] for <paramref name="inputIds"/> [B, T].</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask) => Logits(backbone.Decode(inputIds, attentionMask, null));

    public Tensor Logits(Tensor hidden) => F.linear(hidden, LmHeadWeight);

    /// <summary>The state dict under Hugging Face's keys, <c>lm_head.weight</c> included when tied (the same tensor).</summary>
    public Dictionary<string, Tensor> HfStateDict()
    {
        var state = state_dict().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        if (Tied) state["lm_head.weight"] = backbone.TokenEmbeddings.weight!;
        return state;
    }

    /// <summary>
    /// Continues each left-padded prompt (<paramref name="inputIds"/>, <paramref name="attentionMask"/> [B, T]) by up to
    /// <see cref="GenerationOptions.MaxNewTokens"/> tokens; returns prompt + continuation [B, T + n], rows that hit an
    /// end-of-sequence id padded afterwards (as transformers' <c>generate</c>). Sampling draws from
    /// <paramref name="generator"/> only, so a seed fixes the output; with and without the cache the tokens are the same.
    /// </summary>
    public Tensor Generate(Tensor inputIds, Tensor attentionMask, GenerationOptions options, Generator? generator = null) =>
        Generate(backbone, Logits, inputIds, attentionMask, options, generator);

    /// <summary>
    /// The generation loop of <see cref="Generate(Tensor, Tensor, GenerationOptions, Generator?)"/> for any decoder
    /// backbone and head: <paramref name="logits"/> maps hidden states [B, 1, d] to logits [B, 1, vocab] (an LM head,
    /// tied or not, over a backbone carrying a method's adapters, prompts or prefixes).
    /// </summary>
    public static Tensor Generate(DecoderBackbone backbone, Func<Tensor, Tensor> logits, Tensor inputIds, Tensor attentionMask,
        GenerationOptions options, Generator? generator = null)
    {
        var problems = options.Validate().ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join(" ", problems));
        if (inputIds.dim() != 2 || !inputIds.shape.SequenceEqual(attentionMask.shape))
            throw new ArgumentException($"input ids [{string.Join(", ", inputIds.shape)}] and attention mask [{string.Join(", ", attentionMask.shape)}] must both be [B, T].");
        var config = backbone.Config;
        using var outer = NewDisposeScope();
        using var _ = no_grad();
        if (attentionMask.select(1, -1).to_type(ScalarType.Int64).min().item<long>() == 0)
            throw new ArgumentException("every prompt must end with a real token: pad prompts on the left for generation.");
        var eos = options.EosTokenIds ?? config.EosTokenIds;
        var pad = options.PadTokenId ?? config.PadTokenId ?? (eos.Count > 0 ? eos[0] : 0);
        var eosTensor = tensor(eos.ToList().Select(i => (long)i).ToArray(), device: inputIds.device);
        long batch = inputIds.shape[0];
        var sequences = inputIds.to_type(ScalarType.Int64);
        var mask = attentionMask.to_type(ScalarType.Int64);
        var finished = zeros(batch, dtype: ScalarType.Bool, device: inputIds.device);
        using var cache = options.UseCache ? new KeyValueCache(config.NumHiddenLayers) : null;
        var (stepIds, stepMask) = (sequences, mask);
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            using var scope = NewDisposeScope();
            var hidden = cache is null ? backbone.Decode(sequences, mask, null) : backbone.Decode(stepIds, stepMask, cache);
            var last = logits(hidden.narrow(1, hidden.shape[1] - 1, 1)).squeeze(1).to_type(ScalarType.Float32);
            var next = NextTokens(last, options, generator).masked_fill(finished, pad);
            if (eos.Count > 0) finished = finished.logical_or(isin(next, eosTensor));
            stepIds = next.unsqueeze(1);
            stepMask = ones_like(stepIds);
            sequences = cat(new[] { sequences, stepIds }, 1);
            mask = cat(new[] { mask, stepMask }, 1);
            foreach (var t in new[] { sequences, mask, finished, stepIds, stepMask }) t.MoveToOuterDisposeScope();
            if (cache is not null) foreach (var t in cache.Tensors()) t.MoveToOuterDisposeScope();
            if (finished.all().item<bool>()) break;
        }
        return sequences.MoveToOuterDisposeScope();
    }

    /// <summary>Greedy argmax, or temperature → top-k → top-p → a draw (transformers' warper order).</summary>
    public static Tensor NextTokens(Tensor logits, GenerationOptions o, Generator? generator)
    {
        if (!o.DoSample) return logits.argmax(-1);
        var scores = o.Temperature == 1.0 ? logits : logits / o.Temperature;
        if (o.TopK > 0 && o.TopK < scores.shape[1])
        {
            var kth = scores.topk(o.TopK).values.narrow(1, o.TopK - 1, 1);
            scores = scores.masked_fill(scores.lt(kth), float.NegativeInfinity);
        }
        if (o.TopP < 1.0)
        {
            var (sorted, order) = scores.sort(-1, descending: false);
            var cumulative = sorted.softmax(-1).cumsum(-1);
            // Drop the low tail whose mass is ≤ 1 − p, always keeping the most likely token.
            var drop = cumulative.le(1.0 - o.TopP);
            drop.select(1, -1).fill_(false);
            scores = scores.masked_fill(drop.scatter(1, order, drop), float.NegativeInfinity);
        }
        // Drawn on the CPU from the (CPU) generator: the same tokens on every device, and no generator/device mismatch on CUDA.
        return multinomial(scores.softmax(-1).cpu(), 1, generator: generator).squeeze(1).to(logits.device);
    }
}

/// <summary>Builds the backbone class a config's <c>model_type</c> names.</summary>
public static class DecoderBackbones
{
    public static DecoderBackbone Create(DecoderConfig config, Device? device = null, ScalarType? dtype = null)
    {
        var problems = config.Validate().ToList();
        if (problems.Count > 0) throw new ArgumentException($"invalid decoder config: {string.Join(" ", problems)}");
        return config.IsGpt2 ? new Gpt2Model(config, device, dtype) : new LlamaModel(config, device, dtype);
    }
}
