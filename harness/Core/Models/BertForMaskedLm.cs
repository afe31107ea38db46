using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Core.Models;

/// <summary>
/// BERT's masked-language-model objective (Devlin et al., 2019, §3.1) with Hugging Face's
/// <c>BertForMaskedLM</c> names: the encoder under <c>bert.</c>, the head under <c>cls.predictions.</c>
/// (<c>transform.dense</c> → GELU → <c>transform.LayerNorm</c>, then a decoder tied to the word embeddings plus
/// <c>bias</c>). logits = LN(gelu(W h + b)) · Eᵀ + bias. The head scores only the masked positions, so a step
/// never pays for a [B·T, V] logit matrix it would throw away.
/// </summary>
public sealed class BertForMaskedLm : nn.Module
{
    private readonly BertEncoder bert;
    private readonly MlmHead cls;

    public BertEncoder Encoder => bert;
    public MlmHead Head => cls;

    public BertForMaskedLm(EncoderConfig config, Device? device = null) : base(nameof(BertForMaskedLm))
    {
        bert = new BertEncoder(config, device);
        cls = new MlmHead(config, device);
        RegisterComponents();
    }

    /// <summary>Logits [M, V] at the flattened positions <paramref name="maskedPositions"/> (indices into B·T).</summary>
    public Tensor MaskedLogits(Tensor inputIds, Tensor attentionMask, Tensor maskedPositions)
    {
        var hidden = bert.Encode(inputIds, attentionMask, null);
        var flat = hidden.reshape(-1, hidden.shape[2]).index_select(0, maskedPositions);
        return cls.Score(flat, bert.WordEmbeddings.weight!);
    }

    /// <summary>
    /// Loads a folder written by pretraining: the backbone from <c>model.safetensors</c>, the head from
    /// <c>mlm_head.safetensors</c> (<c>cls.predictions.*</c>; the decoder is tied, so it has no weight of its own).
    /// </summary>
    public static BertForMaskedLm Load(string folder)
    {
        var model = new BertForMaskedLm(HfEncoderLoader.ReadConfig(folder));
        HfEncoderLoader.LoadInto(model.bert, HfEncoderLoader.ReadWeights(folder), folder);
        var (head, _) = Checkpoints.Safetensors.Read(Path.Combine(folder, "mlm_head.safetensors"));
        var target = model.cls.state_dict();
        var missing = target.Keys.Where(k => !head.ContainsKey("cls." + k)).ToList();
        if (missing.Count > 0) throw new InvalidDataException($"{folder}: mlm_head.safetensors lacks {string.Join(", ", missing.Select(k => "cls." + k))}.");
        using (no_grad())
        {
            foreach (var (name, t) in target)
            {
                var source = head["cls." + name];
                if (!source.shape.SequenceEqual(t.shape))
                    throw new InvalidDataException($"{folder}: cls.{name} is [{string.Join(", ", source.shape)}] but the head expects [{string.Join(", ", t.shape)}].");
                t.copy_(source);
            }
        }
        return model;
    }

    /// <summary>Initialises as Hugging Face's BERT does (see <see cref="BertInitialisation"/>).</summary>
    public void InitialiseLikeBert() => BertInitialisation.Apply(this);
}

/// <summary><c>cls</c> → <c>predictions</c>: the prediction head of <see cref="BertForMaskedLm"/>.</summary>
public sealed class MlmHead : nn.Module
{
    private readonly MlmPredictions predictions;

    public MlmHead(EncoderConfig c, Device? device) : base("cls")
    {
        predictions = new MlmPredictions(c, device);
        RegisterComponents();
    }

    public Tensor Score(Tensor hidden, Tensor wordEmbeddings) => predictions.Score(hidden, wordEmbeddings);
}

internal sealed class MlmPredictions : nn.Module
{
    private readonly MlmTransform transform;
    private readonly Parameter bias;

    public MlmPredictions(EncoderConfig c, Device? device) : base("predictions")
    {
        transform = new MlmTransform(c, device);
        bias = new Parameter(zeros(c.VocabSize, device: device));
        RegisterComponents();
    }

    // Decoder tied to the input embeddings (as Hugging Face's tie_word_embeddings), so it adds no weights.
    public Tensor Score(Tensor hidden, Tensor wordEmbeddings) => F.linear(transform.call(hidden), wordEmbeddings, bias);
}

internal sealed class MlmTransform : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;

    public MlmTransform(EncoderConfig c, Device? device) : base("transform")
    {
        dense = nn.Linear(c.HiddenSize, c.HiddenSize, device: device);
        LayerNorm = nn.LayerNorm(c.HiddenSize, eps: c.LayerNormEps, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => LayerNorm.call(F.gelu(dense.call(hidden)));
}
