using PeftBench.Core.Models;

namespace PeftBench.Harness.Pretraining;

/// <summary>Labelled examples for the linear-probe sanity check (never used in pretraining).</summary>
public sealed record ProbeData(string Task, IPatchCorpus Train, long[] TrainLabels, IPatchCorpus Test, long[] TestLabels, int Classes);

/// <summary>A masked-patch backbone's data: training and held-out examples, what they are, the preprocessing, the probe.</summary>
public sealed record MaskedPatchData(IPatchCorpus Train, IPatchCorpus HeldOut, CorpusDescription Corpus, string PreprocessorConfigJson, ProbeData Probe);

/// <summary>
/// One shipped masked-patch backbone (<c>tiny-vit</c>, <c>tiny-ast</c>): its architecture, default recipe, how its
/// data is read from the fetched sources, and which examples ship next to the weights (the first replayed steps'
/// examples and a held-out slice, so the tests need neither the sources nor the synthesiser).
/// </summary>
public abstract class MaskedPatchBackbone
{
    public const string ReplaySlice = "replay", HeldOutSlice = "held_out";

    public abstract string Id { get; }
    public abstract string Description { get; }
    public abstract PatchTransformerConfig Config { get; }
    public abstract MaskedPatchRecipe DefaultRecipe { get; }

    /// <summary>Reads the data from <c>fetch-media.sh</c>'s cache; throws with the fetch command when it is missing.</summary>
    public abstract MaskedPatchData Load(string sources, MaskedPatchRecipe recipe, TextWriter log);

    /// <summary>Writes preprocessor_config.json and the shipped slices into <paramref name="folder"/>; returns the file names.</summary>
    public abstract IReadOnlyList<string> WriteShipped(string folder, MaskedPatchData data, IReadOnlyList<int> replayIndices);

    /// <summary>A shipped slice (<see cref="ReplaySlice"/> or <see cref="HeldOutSlice"/>) of a model folder.</summary>
    public abstract IPatchCorpus OpenShipped(string folder, string slice);

    public static readonly IReadOnlyList<MaskedPatchBackbone> All = [new TinyVit(), new TinyAst()];

    public static MaskedPatchBackbone? Find(string id) => All.FirstOrDefault(b => b.Id == id);

    protected static void Require(string path, string what)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new ArgumentException($"{what} not found at {path}: run tasks/data/sources/fetch-media.sh first (or pass --sources).");
    }
}
