using PeftBench.Core.Tasks;
using PeftBench.Tasks.Builders;

namespace PeftBench.Tasks.MathProblems.Tasks;

/// <summary>
/// <c>math/svamp</c>: SVAMP (Patel et al., 2021), real data only. SVAMP is a 1,000-problem challenge set with no
/// official training split; the common practice in fine-tuning work is the 700 / 300 train / test split that the
/// Hugging Face copy <c>ChilleD/SVAMP</c> ships. Accepted layouts, first match wins:
/// <list type="bullet">
/// <item><c>DATA/svamp/train.json</c> + <c>test.json</c>: that split exported as JSON (same fields as SVAMP.json);</item>
/// <item><c>DATA/svamp/SVAMP.json</c> (arkilpatel/SVAMP <c>data/SVAMP.json</c>): split here into 700 train / 300 test
/// by a shuffle seeded with <see cref="SplitSeed"/> — the same sizes as the common split, not the same problems, so
/// scores are comparable across PeftBench runs but not with papers that used ChilleD's split.</item>
/// </list>
/// SVAMP has no worked solutions: the target is its equation and value, then <c>#### N</c> (<see cref="SvampReader"/>).
/// <see cref="MaxNewTokens"/> = 64: equations such as <c>( ( 22.0 - 14.0 ) / 4.0 ) = 2</c> plus the answer line take
/// about 30 tiny-llama tokens (one token a digit).
/// </summary>
public static class Svamp
{
    public const string Id = "math/svamp";
    public const int MaxNewTokens = 64, TestCount = 300, SplitSeed = 8_008;

    public static TaskSpec Create() => MathTask.Create(Id, 1,
        "SVAMP (--data-dir: svamp/train.json + test.json, or svamp/SVAMP.json split 700/300), exact match of the answer",
        MathSuite.BenchmarksName, MaxNewTokens,
        new MathBenchmarkSource("SVAMP", ["svamp", "SVAMP"], MathAnswerKind.Number,
            MathFileLayout.TrainTest("train.json", "test.json", SvampReader.Read),
            new MathFileLayout($"SVAMP.json (split {1000 - TestCount}/{TestCount} here)", ["SVAMP.json"], paths => Split(SvampReader.Read(paths[0])))));

    /// <summary>The seeded split of the whole set: <see cref="TestCount"/> test problems (fewer when the file is small, keeping one for training), the rest train.</summary>
    public static (IReadOnlyList<GenerationExample> Train, IReadOnlyList<GenerationExample> Test) Split(IReadOnlyList<GenerationExample> all)
    {
        var shuffled = all.Shuffled(Seeded.For(SplitSeed, Id + "/split"));
        int test = Math.Min(TestCount, shuffled.Count - 1);
        return (shuffled.Skip(test).ToList(), shuffled.Take(test).ToList());
    }
}
