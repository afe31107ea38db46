using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.MathProblems.Tasks;

/// <summary>
/// <c>math/mawps</c>: MAWPS (Koncel-Kedziorski et al., 2016), real data only. MAWPS ships no fixed split; PeftBench
/// reads one prepared split from <c>DATA/mawps/</c>: <c>train.json</c> + <c>test.json</c>, or MWPToolkit's
/// <c>trainset.json</c> + <c>testset.json</c>, in either schema <see cref="MawpsReader"/> accepts (sroy9/mawps rows or
/// MWPToolkit rows; single-answer problems only). The target is the equation, then <c>#### N</c>.
/// <see cref="MaxNewTokens"/> = 64: an equation such as <c>X=((22.0-14.0)/4.0)</c> plus the answer line takes about 30
/// tiny-llama tokens.
/// </summary>
public static class Mawps
{
    public const string Id = "math/mawps";
    public const int MaxNewTokens = 64;

    public static TaskSpec Create() => MathTask.Create(Id, 1,
        "MAWPS (--data-dir: mawps/train.json + test.json, or MWPToolkit's trainset.json + testset.json), exact match of the answer",
        MathSuite.BenchmarksName, MaxNewTokens,
        new MathBenchmarkSource("MAWPS", ["mawps", "MAWPS"], MathAnswerKind.Number,
            MathFileLayout.TrainTest("train.json", "test.json", MawpsReader.Read),
            MathFileLayout.TrainTest("trainset.json", "testset.json", MawpsReader.Read)));
}
