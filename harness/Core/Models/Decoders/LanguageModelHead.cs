using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Core.Models;

/// <summary>
/// A decoder's own language-model head as the head of a generation cell (<c>lm_head</c>, transformers'
/// <c>*ForCausalLM</c> naming): logits [B, T, vocab] for every token position of the batch. Tied models (tiny-llama) read
/// the token embedding table and own no parameter, so whatever trains the embeddings trains the head with them; an untied
/// head holds the checkpoint's <c>lm_head.weight</c>, frozen like the backbone unless a method unfreezes it. It is
/// pretrained, never re-initialised. Positions a soft prompt spliced in after the first token (<see cref="SplicedPositions"/>)
/// are dropped, so that logits line up with the batch's tokens and labels.
/// </summary>
public sealed class LanguageModelHead : SequenceHead
{
    // The embedding table is read through a delegate: TorchSharp registers module-typed fields as submodules, and the
    // backbone belongs to the model, not to its head.
    private readonly Func<Tensor> embeddingTable;
    // Untied: registered under "weight" (→ lm_head.weight); tied: null, the embedding table is read at each call.
    private readonly Parameter? weight;

    public LanguageModelHead(DecoderBackbone backbone, Tensor? untiedWeight) : base("lm_head")
    {
        embeddingTable = () => backbone.TokenEmbeddings.weight!;
        if (untiedWeight is not null)
        {
            weight = new Parameter(untiedWeight.detach().clone(), requires_grad: false);
            register_parameter("weight", weight);
        }
    }

    public bool Tied => weight is null;

    /// <summary>The output projection [vocab, d].</summary>
    public Tensor Weight => weight ?? embeddingTable();

    /// <summary>Positions an input-site transform inserts after the first token (prompt tuning, P-tuning, DEPT).</summary>
    public static long SplicedPositions(SiteRegistry sites) => sites.InputEmbeddings?.AddedPositions ?? 0;

    /// <summary>Logits of hidden states [B, T, d] → [B, T, vocab] (float32 when the head is).</summary>
    public Tensor Logits(Tensor hidden) => F.linear(hidden.to_type(Weight.dtype), Weight);

    /// <param name="hidden">[B, T + spliced, d].</param>
    /// <param name="inputs">The token batch [B, T].</param>
    public override Tensor forward(Tensor hidden, ModelInputs inputs)
    {
        if (inputs is not TokenBatch batch) throw new ArgumentException($"the LM head reads token batches, not {inputs.GetType().Name}.");
        long length = batch.InputIds.shape[1], added = hidden.shape[1] - length;
        // Soft prompts sit between the first token and the rest (SplicedPrompt); drop them.
        if (added > 0) hidden = cat(new[] { hidden.narrow(1, 0, 1), hidden.narrow(1, 1 + added, length - 1) }, 1);
        return Logits(hidden);
    }
}
