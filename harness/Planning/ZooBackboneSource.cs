using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using PeftBench.Core.Tokenization;
using static TorchSharp.torch;

namespace PeftBench.Harness.Planning;

/// <summary>
/// A backbone from the model zoo (a shipped id such as <c>tiny-bert</c>, checksum-verified) or from a Hugging
/// Face folder. The first load gives the planning template (sites, parameter count) and the tokenizer; each cell
/// then gets its own freshly loaded copy, so no cell sees another's updates.
/// <c>ID:random-init</c> (e.g. <c>tiny-bert:random-init</c>) is the control every pretrained backbone needs: the same
/// architecture and tokenizer with BERT's random initialisation (seeded from the cell seed) instead of the weights,
/// so a table shows how much the pretraining itself contributes.
/// </summary>
public sealed class ZooBackboneSource : IBackboneSource
{
    private readonly ModelZoo zoo;
    private readonly string idOrPath;
    private readonly BertEncoder template;
    private readonly ITextTokenizer tokenizer;
    private readonly bool randomInit;

    public const string RandomInitSuffix = ":random-init";

    public string Id { get; }
    public string Sha256 { get; }
    public EncoderConfig Config => template.Config;
    public SiteRegistry Sites => template.Sites;
    public long ParameterCount { get; }
    public long PadId => tokenizer.PadId;

    private ZooBackboneSource(ModelZoo zoo, string requested)
    {
        this.zoo = zoo;
        randomInit = requested.EndsWith(RandomInitSuffix, StringComparison.Ordinal);
        idOrPath = randomInit ? requested[..^RandomInitSuffix.Length] : requested;
        var loaded = zoo.Load(idOrPath, CPU);
        template = loaded.Encoder;
        tokenizer = loaded.Tokenizer;
        var id = loaded.Info.Shipped ? loaded.Info.Id : loaded.Info.Folder;
        // Folders given by path have no manifest: their identity is the hash of their weights.
        var sha = loaded.Info.ModelSha256 ?? HashWeights(loaded.Info.Folder);
        Id = randomInit ? id + RandomInitSuffix : id;
        Sha256 = randomInit ? $"random-init(std {BertInitialisation.Std}) of {sha}" : sha;
        ParameterCount = template.parameters().Sum(p => p.numel());
    }

    public static ZooBackboneSource Open(string idOrPath) => new(new ModelZoo(), idOrPath);

    public static IEnumerable<(string Id, string Description)> Describe() =>
        new ModelZoo().Shipped.All.SelectMany(e => new[]
        {
            (e.Id, e.Manifest.Description),
            (e.Id + RandomInitSuffix, $"control: {e.Id}'s architecture and tokenizer with BERT's random init (N(0, 0.02)), no pretraining"),
        });

    /// <summary>A fresh copy; for the random-init control, re-initialised from libtorch's generator (seeded per cell).</summary>
    public EncoderBackbone CreateBackbone(Device device)
    {
        var encoder = zoo.Load(idOrPath, device).Encoder;
        if (randomInit) BertInitialisation.Apply(encoder);
        return encoder;
    }

    public EncodedText Encode(string textA, string? textB, int maxLength)
    {
        var pair = tokenizer.Encode(textA, textB, maxLength);
        return new EncodedText(pair.InputIds.Select(i => (long)i).ToArray(), pair.TokenTypeIds.Select(i => (long)i).ToArray());
    }

    private static string HashWeights(string folder) =>
        string.Join("+", HfEncoderLoader.WeightFiles(folder).Select(ZooManifest.Sha256Of));
}
