using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using PeftBench.Core.Tasks;
using PeftBench.Core.Tokenization;
using static TorchSharp.torch;

namespace PeftBench.Harness.Planning;

/// <summary>What <c>list models</c> shows of a zoo entry.</summary>
public sealed record ZooModelDescription(string Id, string ModelType, long ParameterCount, string Description);

/// <summary>
/// A backbone from the model zoo (a shipped id such as <c>tiny-bert</c>, <c>tiny-llama</c>, <c>tiny-vit</c> or
/// <c>tiny-ast</c>, checksum-verified) or from a Hugging Face encoder, decoder, ViT or AST folder. The first load gives
/// the planning template (sites, parameter count) and the tokenizer or the preprocessing settings
/// (<c>preprocessor_config.json</c>: ViTImageProcessor, ASTFeatureExtractor); each cell then gets its own freshly
/// loaded copy, so no cell sees another's updates. <c>ID:random-init</c> (e.g. <c>tiny-bert:random-init</c>) is the
/// control every pretrained backbone needs: the same architecture and tokenizer (or preprocessing) with the family's
/// random initialisation (BERT's, ViT's and AST's or LLaMA's N(0, 0.02), seeded from the cell seed) instead of the
/// weights, so a table shows how much the pretraining itself contributes.
/// </summary>
public sealed class ZooBackboneSource : IBackboneSource
{
    private readonly ModelZoo zoo;
    private readonly string idOrPath;
    private readonly Backbone template;
    private readonly ITextTokenizer? tokenizer;
    private readonly bool randomInit;
    private readonly bool decoder;
    private readonly bool patches;

    public const string RandomInitSuffix = ":random-init";

    public string Id { get; }
    public string Sha256 { get; }
    public string ModelType => template.ModelType;
    public double HeadDropout { get; }
    public int MaxSequenceLength { get; }
    public SiteRegistry Sites => template.Sites;
    public long ParameterCount { get; }
    public long PadId => tokenizer?.PadId ?? 0;
    public Modality InputModality { get; } = Modality.Text;
    public ImageInput? Image { get; }
    public AudioInput? Audio { get; }
    public string? ClassifierPooling { get; }

    private ZooBackboneSource(ModelZoo zoo, string requested)
    {
        this.zoo = zoo;
        randomInit = requested.EndsWith(RandomInitSuffix, StringComparison.Ordinal);
        idOrPath = randomInit ? requested[..^RandomInitSuffix.Length] : requested;
        var modelType = zoo.ModelTypeOf(idOrPath);
        decoder = DecoderConfig.KnownTypes.Contains(modelType);
        patches = ModelZoo.PatchTransformerTypes.Contains(modelType);
        string id, sha;
        if (patches)
        {
            var loaded = zoo.LoadPatchTransformer(idOrPath, CPU);
            template = loaded.Backbone;
            id = loaded.Shipped ? loaded.Id : loaded.Folder;
            sha = loaded.Sha256 ?? HashWeights(loaded.Folder);
            HeadDropout = loaded.Backbone.TransformerConfig.HiddenDropoutProb;
            MaxSequenceLength = loaded.Backbone.SequenceLength;
            ClassifierPooling = loaded.Backbone.ClassifierPooling.Name();
            var source = Path.Combine(loaded.Folder, VitImageProcessorConfig.FileName);
            switch (loaded.Backbone.TransformerConfig)
            {
                case VitConfig vit:
                    InputModality = Modality.Image;
                    var processor = System.Text.Json.JsonSerializer.Deserialize<VitImageProcessorConfig>(loaded.PreprocessorJson)
                        ?? throw new InvalidDataException($"{source}: empty.");
                    if (processor.DoNormalize && (processor.ImageMean.Length != vit.NumChannels || processor.ImageStd.Length != vit.NumChannels))
                        throw new InvalidDataException($"{source}: image_mean/image_std have {processor.ImageMean.Length}/{processor.ImageStd.Length} entries but the model reads {vit.NumChannels} channel(s).");
                    Image = new ImageInput(processor, vit.NumChannels, vit.ImageSize, vit.ImageSize, MaxSequenceLength);
                    break;
                case AstConfig ast:
                    InputModality = Modality.Audio;
                    var extractor = System.Text.Json.JsonSerializer.Deserialize<AstFeatureExtractorConfig>(loaded.PreprocessorJson)
                        ?? throw new InvalidDataException($"{source}: empty.");
                    if (extractor.NumMelBins != ast.NumMelBins || extractor.MaxLength != ast.MaxLength)
                        throw new InvalidDataException($"{source}: {extractor.NumMelBins} mel bins × {extractor.MaxLength} frames, but config.json asks {ast.NumMelBins} × {ast.MaxLength}.");
                    Audio = new AudioInput(extractor, extractor.ToLogMelConfig(), MaxSequenceLength);
                    break;
            }
        }
        else if (decoder)
        {
            var loaded = zoo.LoadDecoder(idOrPath, CPU);
            (template, tokenizer) = (loaded.Backbone, loaded.Tokenizer);
            id = loaded.Shipped ? loaded.Id : loaded.Folder;
            sha = loaded.Sha256 ?? HashWeights(loaded.Folder);
            MaxSequenceLength = loaded.Backbone.Config.MaxPositionEmbeddings;
        }
        else
        {
            var loaded = zoo.Load(idOrPath, CPU);
            (template, tokenizer) = (loaded.Encoder, loaded.Tokenizer);
            id = loaded.Info.Shipped ? loaded.Info.Id : loaded.Info.Folder;
            // Folders given by path have no manifest: their identity is the hash of their weights.
            sha = loaded.Info.ModelSha256 ?? HashWeights(loaded.Info.Folder);
            HeadDropout = loaded.Encoder.Config.HiddenDropoutProb;
            MaxSequenceLength = loaded.Encoder.Config.MaxSequenceLength;
        }
        Id = randomInit ? id + RandomInitSuffix : id;
        Sha256 = randomInit ? $"random-init(std {BertInitialisation.Std}) of {sha}" : sha;
        ParameterCount = template.parameters().Sum(p => p.numel());
    }

    public static ZooBackboneSource Open(string idOrPath) => new(new ModelZoo(), idOrPath);

    public static IEnumerable<ZooModelDescription> Describe() =>
        new ModelZoo().Shipped.All.SelectMany(e => new[]
        {
            new ZooModelDescription(e.Id, e.ModelType, e.Manifest.ParameterCount, e.Manifest.Description),
            new ZooModelDescription(e.Id + RandomInitSuffix, e.ModelType, e.Manifest.ParameterCount,
                $"control: {e.Id}'s architecture and {(e.IsPatchTransformer ? "preprocessing" : "tokenizer")} with {(e.IsDecoder ? "LLaMA's" : e.IsPatchTransformer ? "ViT's/AST's" : "BERT's")} random init (N(0, 0.02)), no pretraining"),
        });

    /// <summary>A fresh copy; for the random-init control, re-initialised from libtorch's generator (seeded per cell).</summary>
    public Backbone CreateBackbone(Device device)
    {
        if (patches)
        {
            var patchBackbone = zoo.LoadPatchTransformer(idOrPath, device).Backbone;
            if (randomInit) BertInitialisation.Apply(patchBackbone);
            return patchBackbone;
        }
        if (decoder)
        {
            var backbone = zoo.LoadDecoder(idOrPath, device).Backbone;
            if (randomInit) DecoderInitialisation.Apply(backbone);
            return backbone;
        }
        var encoder = zoo.Load(idOrPath, device).Encoder;
        if (randomInit) BertInitialisation.Apply(encoder);
        return encoder;
    }

    public bool IsDecoder => decoder;
    public IDecoderTokenizer? DecoderTokenizer => tokenizer as IDecoderTokenizer;

    /// <summary>A fresh decoder with its LM head; for the random-init control the untied head is re-drawn too (a tied one is the table).</summary>
    public SequenceClassifier CreateLanguageModel(Device device)
    {
        if (!decoder) throw new NotSupportedException($"{Id} is not a decoder: generation tasks need a causal LM such as tiny-llama.");
        var loaded = zoo.LoadDecoder(idOrPath, device, withLmHead: true);
        var head = new LanguageModelHead(loaded.Backbone, loaded.UntiedLmHeadWeight);
        if (randomInit) { DecoderInitialisation.Apply(loaded.Backbone); DecoderInitialisation.Apply(head); }
        return SequenceClassifier.WithHead(loaded.Backbone, head);
    }

    public EncodedText Encode(string textA, string? textB, int maxLength)
    {
        if (tokenizer is null) throw new NotSupportedException($"{Id} reads {InputModality.ToString().ToLowerInvariant()}s, not text.");
        var pair = tokenizer.Encode(textA, textB, maxLength);
        return new EncodedText(pair.InputIds.Select(i => (long)i).ToArray(), pair.TokenTypeIds.Select(i => (long)i).ToArray());
    }

    private static string HashWeights(string folder) =>
        string.Join("+", HfEncoderLoader.WeightFiles(folder).Select(ZooManifest.Sha256Of));
}
