using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.MathProblems.Tasks;

/// <summary>
/// <c>math/aqua</c>: AQuA-RAT (Ling et al., 2017), real data only: <c>DATA/aqua/train.json</c> (97,467) and
/// <c>test.json</c> (254) as google-deepmind/AQuA ships them (JSON Lines despite the name; <c>dev.json</c> is not used).
/// The prompt carries the five options (<c>A)21 B)21.5 …</c>, <see cref="AquaRatReader"/>); the target is the
/// rationale, then <c>#### C</c>; the judge compares option letters (<see cref="MathAnswerKind.OptionLetter"/>).
/// Rationales are long for tiny-llama's 256 positions (as GSM8K's): <see cref="MaxNewTokens"/> = 192, and long
/// problem + rationale pairs are truncated in training and generation.
/// </summary>
public static class AquaRat
{
    public const string Id = "math/aqua";
    public const int MaxNewTokens = 192;

    public static TaskSpec Create() => MathTask.Create(Id, 1,
        "AQuA-RAT (--data-dir: aqua/train.json + test.json), multiple-choice algebra with rationales, exact match of the option letter",
        MathSuite.BenchmarksName, MaxNewTokens,
        new MathBenchmarkSource("AQuA-RAT", ["aqua", "AQuA"], MathAnswerKind.OptionLetter,
            MathFileLayout.TrainTest("train.json", "test.json", AquaRatReader.Read)));
}
