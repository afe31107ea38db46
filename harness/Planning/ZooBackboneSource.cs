using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using PeftBench.Core.Tokenization;
using static TorchSharp.torch;

namespace PeftBench.Harness.Planning;

/// <summary>
/// A backbone from the model zoo (a shipped id such as <c>tiny-bert</c>, checksum-verified) or from a Hugging
/// Face folder. The first load gives the planning template (sites, parameter count) and the tokenizer; each cell
/// then gets its own freshly loaded copy, so no cell sees another's updates.
/// </summary>
public sealed class ZooBackboneSource : IBackboneSource
{
    private readonly ModelZoo zoo;
    private readonly string idOrPath;
    private readonly BertEncoder template;
    private readonly ITextTokenizer tokenizer;

    public string Id { get; }
    public string Sha256 { get; }
    public EncoderConfig Config => template.Config;
    public SiteRegistry Sites => template.Sites;
    public long ParameterCount { get; }
    public long PadId => tokenizer.PadId;

    private ZooBackboneSource(ModelZoo zoo, string idOrPath)
    {
        this.zoo = zoo;
        this.idOrPath = idOrPath;
        var loaded = zoo.Load(idOrPath, CPU);
        template = loaded.Encoder;
        tokenizer = loaded.Tokenizer;
        Id = loaded.Info.Shipped ? loaded.Info.Id : loaded.Info.Folder;
        // Folders given by path have no manifest: their identity is the hash of their weights.
        Sha256 = loaded.Info.ModelSha256 ?? HashWeights(loaded.Info.Folder);
        ParameterCount = template.parameters().Sum(p => p.numel());
    }

    public static ZooBackboneSource Open(string idOrPath) => new(new ModelZoo(), idOrPath);

    public static IEnumerable<(string Id, string Description)> Describe() =>
        new ModelZoo().Shipped.All.Select(e => (e.Id, e.Manifest.Description));

    public EncoderBackbone CreateBackbone(Device device) => zoo.Load(idOrPath, device).Encoder;

    public EncodedText Encode(string textA, string? textB, int maxLength)
    {
        var pair = tokenizer.Encode(textA, textB, maxLength);
        return new EncodedText(pair.InputIds.Select(i => (long)i).ToArray(), pair.TokenTypeIds.Select(i => (long)i).ToArray());
    }

    private static string HashWeights(string folder) =>
        string.Join("+", HfEncoderLoader.WeightFiles(folder).Select(ZooManifest.Sha256Of));
}
