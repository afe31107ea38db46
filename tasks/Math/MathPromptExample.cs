using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.MathProblems;

/// <summary>
/// One math word problem as a generation example: <see cref="PromptExample.Prompt"/> = <c>"Question: {question}\nAnswer:"</c>,
/// <see cref="PromptExample.Response"/> = a space, then the worked solution ending in <c>#### N</c> (the form every math
/// reader writes), and what the judge compares against: the gold <see cref="Answer"/> in canonical form and how to
/// compare it (<see cref="Kind"/>: a number, or an AQuA-RAT option letter).
/// </summary>
public sealed record MathPromptExample(string Prompt, string Response, string Answer, MathAnswerKind Kind) : PromptExample(Prompt, Response)
{
    /// <summary>The prompt format of the math tasks (the "Question: … Answer:" of GSM8K few-shot prompting, without shots).</summary>
    public static MathPromptExample From(GenerationExample example, MathAnswerKind kind) =>
        new($"Question: {example.Prompt}\nAnswer:", " " + example.Target, example.Answer, kind);

    /// <summary>Whether one generated continuation answers this problem (<see cref="MathAnswers.IsCorrect"/>).</summary>
    public bool IsAnsweredBy(string continuation) => MathAnswers.IsCorrect(continuation, Answer, Kind);
}
