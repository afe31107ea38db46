using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// A causal decoder over token ids (GPT-2, LLaMA, Mistral, Qwen2). The shared part lives here: soft prompts at
/// the input site, position ids from the attention mask, the causal + padding mask, and the key/value cache.
/// Position ids count real tokens only (<c>cumsum(mask) − 1</c>, as transformers' <c>generate</c> does), so a
/// left-padded row computes exactly what it would unpadded; on right-padded batches they equal Hugging Face's
/// default <c>arange</c> at every real token.
/// </summary>
public abstract class DecoderBackbone : Backbone
{
    protected DecoderBackbone(string name) : base(name) { }

    public abstract DecoderConfig Config { get; }
    public override string ModelType => Config.ModelType;
    public override long HiddenSize => Config.HiddenSize;

    /// <summary>The token embedding table (GPT-2 <c>wte</c>, LLaMA <c>embed_tokens</c>), which tied LM heads reuse.</summary>
    public abstract Embedding TokenEmbeddings { get; }
    public override Tensor? TokenEmbeddingWeight => TokenEmbeddings.weight;

    protected abstract InputEmbeddingSite InputSite { get; }

    /// <summary>
    /// Runs the blocks and the final norm over embedded tokens. <paramref name="interventionMask"/> ([B, T], 1 for real
    /// tokens) goes to each block's hidden-state site; null on cached generation steps, where no intervention applies.
    /// </summary>
    protected abstract Tensor RunBlocks(Tensor tokens, Tensor positions, Tensor attentionBias, KeyValueCache? cache, Tensor? interventionMask);

    public override Tensor Forward(ModelInputs inputs) => inputs switch
    {
        TokenBatch t => Decode(t.InputIds, t.AttentionMask, null, t.InterventionMask),
        _ => throw new ArgumentException($"{ModelType} reads token batches, not {inputs.GetType().Name}."),
    };

    /// <summary>
    /// Hidden states [B, T (+ soft-prompt positions), d] for <paramref name="inputIds"/> [B, T]. With a cache, the
    /// ids are the tokens after the cached ones and <paramref name="attentionMask"/> covers those new tokens only;
    /// the cache is extended in place. Soft prompts are inserted, and hidden-state interventions applied, on the first
    /// call only. Position ids start after a key/value prefix (<see cref="SiteRegistry.PrefixPositions"/>), as Hugging
    /// Face's decoders number tokens after <c>past_key_values</c>.
    /// </summary>
    /// <param name="interventionMask">
    /// Where hidden-state interventions act, when not on every real token: a prompt → response batch passes its prompt
    /// tokens, as pyreft intervenes on prompt positions only (so training and generation intervene on the same positions).
    /// </param>
    public Tensor Decode(Tensor inputIds, Tensor attentionMask, KeyValueCache? cache, Tensor? interventionMask = null)
    {
        if (!inputIds.shape.SequenceEqual(attentionMask.shape))
            throw new ArgumentException($"input ids [{string.Join(", ", inputIds.shape)}] and attention mask [{string.Join(", ", attentionMask.shape)}] must have the same shape.");
        var tokens = TokenEmbeddings.call(inputIds);
        var mask = attentionMask;
        var first = cache is null || cache.Length == 0;
        if (first) (tokens, mask) = InputSite.Apply(tokens, attentionMask);
        var fullMask = cache?.AttentionMask is { } past ? cat(new[] { past, mask.to_type(past.dtype) }, 1) : mask;
        long length = tokens.shape[1];
        var positions = (fullMask.to_type(ScalarType.Int64).cumsum(1) - 1).clamp_min(0).narrow(1, fullMask.shape[1] - length, length)
            + Sites.PrefixPositions;
        var bias = AttentionBias(fullMask, length, tokens.dtype, Config.SlidingWindow);
        var interventions = interventionMask is null ? mask
            : interventionMask.shape[1] == mask.shape[1] ? interventionMask
            // A soft prompt spliced positions in after the first token: interventions do not act on them.
            : cat(new[] { interventionMask.narrow(1, 0, 1), zeros(interventionMask.shape[0], mask.shape[1] - interventionMask.shape[1], dtype: interventionMask.dtype, device: interventionMask.device),
                interventionMask.narrow(1, 1, interventionMask.shape[1] - 1) }, 1);
        var hidden = RunBlocks(tokens, positions, bias, cache, first ? interventions : null);
        cache?.Advance(fullMask);
        return hidden;
    }

    /// <summary>
    /// Additive mask [B, 1, Tq, Tk]: 0 where query i (the i-th of the last Tq positions) may attend key j (j at or
    /// before it, a real token, within the sliding window), the dtype's minimum elsewhere (Hugging Face's
    /// convention; a row with nothing to attend, e.g. a left pad, stays finite instead of NaN).
    /// </summary>
    public static Tensor AttentionBias(Tensor keyMask, long queries, ScalarType dtype, int? slidingWindow = null)
    {
        long keys = keyMask.shape[1], past = keys - queries;
        var device = keyMask.device;
        var queryPositions = arange(past, keys, dtype: ScalarType.Int64, device: device).unsqueeze(1);
        var keyPositions = arange(0, keys, dtype: ScalarType.Int64, device: device).unsqueeze(0);
        var allowed = keyPositions.le(queryPositions);
        if (slidingWindow is { } w) allowed = allowed.logical_and(queryPositions - keyPositions < w);
        allowed = allowed.unsqueeze(0).unsqueeze(0).logical_and(keyMask.to_type(ScalarType.Bool).unsqueeze(1).unsqueeze(1));
        var min = finfo(dtype).min;
        return zeros(allowed.shape, dtype: dtype, device: device).masked_fill(allowed.logical_not(), min);
    }

    /// <summary>Hugging Face's decoder head: a bias-free <c>score</c> linear at each row's last real token.</summary>
    public override SequenceHead CreateClassificationHead(long outputs, double dropoutProbability, Device? device = null) =>
        new LastTokenClassificationHead(HiddenSize, outputs, device);
}
