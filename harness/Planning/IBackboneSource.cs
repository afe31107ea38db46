using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using PeftBench.Core.Tasks;
using PeftBench.Core.Tokenization;
using static TorchSharp.torch;

namespace PeftBench.Harness.Planning;

/// <summary>Token ids and segment ids of one (possibly paired) example.</summary>
public sealed record EncodedText(long[] InputIds, long[] TokenTypeIds);

/// <summary>
/// What a ViT reads: images of <see cref="Channels"/> × <see cref="Height"/> × <see cref="Width"/> (the model's
/// <c>num_channels</c> and <c>image_size</c>), prepared by <see cref="Processor"/>'s rescale and mean/std; a pixel batch
/// becomes <see cref="Tokens"/> positions (CLS and patches).
/// </summary>
public sealed record ImageInput(VitImageProcessorConfig Processor, int Channels, int Height, int Width, int Tokens);

/// <summary>
/// What an AST reads: mono audio at <see cref="Features"/>' sample rate, turned into its log-mel frames
/// (<see cref="LogMelConfig.MaxLength"/> × <see cref="LogMelConfig.NumMelBins"/>) with the extractor's mean/std; a
/// spectrogram batch becomes <see cref="Tokens"/> positions (CLS, distillation token and patches).
/// </summary>
public sealed record AudioInput(AstFeatureExtractorConfig Extractor, LogMelConfig Features, int Tokens);

/// <summary>
/// A resolved backbone: its identity (id and weights checksum, both in cell keys), its shape for planning
/// (sites and parameter count, so budgets are fitted before anything trains), fresh pretrained copies for
/// each cell, and what it reads: text through its own tokenizer (encoders such as BERT and RoBERTa, decoders such as
/// LLaMA and GPT-2), images (ViT) or audio (AST) through its preprocessing settings. The cell puts the family's own
/// classification head on <see cref="CreateBackbone"/>.
/// </summary>
public interface IBackboneSource
{
    string Id { get; }
    string Sha256 { get; }
    /// <summary>Hugging Face <c>model_type</c> (<c>bert</c>, <c>llama</c>, <c>vit</c> …).</summary>
    string ModelType { get; }
    /// <summary>Dropout before the classification head (the encoder's <c>hidden_dropout_prob</c>; 0 for decoders, whose score head has none).</summary>
    double HeadDropout { get; }
    /// <summary>Longest input in tokens the backbone's positions allow (ViT/AST: the special tokens and the patches).</summary>
    int MaxSequenceLength { get; }
    SiteRegistry Sites { get; }
    long ParameterCount { get; }
    long PadId { get; }
    Backbone CreateBackbone(Device device);
    EncodedText Encode(string textA, string? textB, int maxLength);

    /// <summary>What the backbone reads; a task of another modality is refused by the planner.</summary>
    Modality InputModality => Modality.Text;
    /// <summary>Image preprocessing settings; null unless <see cref="InputModality"/> is <see cref="Modality.Image"/>.</summary>
    ImageInput? Image => null;
    /// <summary>Audio preprocessing settings; null unless <see cref="InputModality"/> is <see cref="Modality.Audio"/>.</summary>
    AudioInput? Audio => null;
    /// <summary>What the classification head pools (ViT/AST: <c>cls</c> or <c>mean_patches</c>); null for text backbones.</summary>
    string? ClassifierPooling => null;

    /// <summary>True for causal decoders, the backbones generation tasks (math, code) run on.</summary>
    bool IsDecoder => false;

    /// <summary>The decoder's tokenizer (text ↔ ids, bos/eos) for generation tasks; null for other backbones.</summary>
    IDecoderTokenizer? DecoderTokenizer => null;

    /// <summary>
    /// A fresh pretrained decoder with its own language-model head (<see cref="LanguageModelHead"/>: tied to the embeddings
    /// or the checkpoint's <c>lm_head</c>), for a generation cell.
    /// </summary>
    SequenceClassifier CreateLanguageModel(Device device) =>
        throw new NotSupportedException($"{Id} is not a decoder: generation tasks need a causal LM such as tiny-llama.");
}
