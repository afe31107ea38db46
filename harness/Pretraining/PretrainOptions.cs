using PeftBench.Core.Models;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// Options of <c>pretrain</c>. <see cref="SourcesDirectory"/> set: rebuild the corpus and vocabulary from the
/// cached npm packages; null: reuse <c>corpus.txt.gz</c> and <c>vocab.txt</c> already in <see cref="OutputDirectory"/>.
/// <see cref="MeasureOnlySteps"/> runs that many steps, reports ms/step and writes no weights (for budgeting).
/// </summary>
public sealed record PretrainOptions
{
    public string ModelId { get; init; } = "tiny-bert";
    public string OutputDirectory { get; init; } = "harness/zoo/tiny-bert";
    public string? SourcesDirectory { get; init; }
    public MlmRecipe Recipe { get; init; } = new();
    public int VocabularySize { get; init; } = 8000;
    public long MaxEmailCharacters { get; init; } = 1_500_000;
    public int? MeasureOnlySteps { get; init; }

    /// <summary>The architecture of the shipped tiny encoder; only the vocabulary size comes from the data.</summary>
    public static EncoderConfig TinyBertConfig(int vocabSize) => new()
    {
        ModelType = "bert",
        VocabSize = vocabSize,
        HiddenSize = 128,
        NumHiddenLayers = 4,
        NumAttentionHeads = 4,
        IntermediateSize = 512,
        HiddenAct = "gelu",
        MaxPositionEmbeddings = 128,
        TypeVocabSize = 2,
        LayerNormEps = 1e-12,
        PadTokenId = 0,
    };

    public IEnumerable<string> Validate()
    {
        if (Recipe.Steps <= 0) yield return "steps must be positive.";
        if (Recipe.WarmupSteps < 1 || Recipe.WarmupSteps > Recipe.Steps) yield return "warm-up steps must lie in 1..steps.";
        if (Recipe.SequenceLength < 8 || Recipe.SequenceLength > 128) yield return "sequence length must lie in 8..128 (max_position_embeddings).";
        if (Recipe.MaskRate is <= 0 or >= 1) yield return "mask rate must lie in (0, 1).";
        if (Recipe.Threads < 1) yield return "threads must be at least 1.";
    }
}
