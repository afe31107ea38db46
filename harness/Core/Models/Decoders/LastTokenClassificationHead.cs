using TorchSharp;
using TorchSharp.Modules;
using F = TorchSharp.torch.nn.functional;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// Hugging Face's sequence-classification head for decoders (<c>GPT2ForSequenceClassification</c>,
/// <c>LlamaForSequenceClassification</c>): a bias-free linear <c>score</c> read at each row's last non-padding
/// token. The last real token is found from the attention mask (not by comparing ids with <c>pad_token_id</c>,
/// which breaks where pad = eos), and positions a soft prompt inserted are accounted for.
/// </summary>
public sealed class LastTokenClassificationHead : SequenceHead
{
    /// <summary>[outputs, d], named as the checkpoints' <c>score.weight</c>: the head module is itself <c>score</c>.</summary>
    public Parameter weight;

    public LastTokenClassificationHead(long hidden, long outputs, Device? device = null) : base("score")
    {
        // torch.nn.Linear's initialisation, as transformers' score layer gets before _init_weights.
        weight = new Parameter(empty(outputs, hidden, device: device));
        nn.init.kaiming_uniform_(weight, Math.Sqrt(5));
        RegisterComponents();
    }

    /// <param name="hidden">[B, T', d], T' ≥ T when a soft prompt added positions.</param>
    /// <param name="inputs">The token batch, whose mask [B, T] locates the last real token.</param>
    public override Tensor forward(Tensor hidden, ModelInputs inputs)
    {
        if (inputs is not TokenBatch batch) throw new ArgumentException($"the score head reads token batches, not {inputs.GetType().Name}.");
        var mask = batch.AttentionMask;
        long length = mask.shape[1], added = hidden.shape[1] - length;
        var index = (arange(length, dtype: ScalarType.Int64, device: mask.device) * mask.to_type(ScalarType.Int64)).argmax(1) + added;
        var last = hidden.gather(1, index.view(-1, 1, 1).expand(-1, 1, hidden.shape[2])).squeeze(1);
        // The head may be float32 over a bf16/fp16 backbone.
        return F.linear(last.to_type(weight.dtype), weight);
    }
}
