namespace PeftBench.Tasks.MathProblems;

/// <summary>
/// GSM8K as distributed (openai/grade-school-math <c>train.jsonl</c> / <c>test.jsonl</c>, and the Hugging Face
/// <c>gsm8k/main</c> export): JSON Lines of <c>{"question", "answer"}</c>, the answer being the worked solution whose
/// last line is <c>#### N</c> (N may carry thousands commas: <c>#### 1,234</c>).
/// Prompt = question; Target = answer; Answer = N in canonical form. GSM8K's calculator annotations
/// (<c>&lt;&lt;48/2=24&gt;&gt;</c>) are kept by default, as in the released files and the original paper's training;
/// <paramref name="stripCalculatorAnnotations"/> removes them from the target (the common "socratic-free" plain form).
/// </summary>
public static class Gsm8kReader
{
    private const string Expected = "GSM8K rows are {\"question\": \"...\", \"answer\": \"worked solution ...\\n#### N\"} (openai/grade-school-math JSONL); check that the file is GSM8K.";

    public static IReadOnlyList<GenerationExample> Read(string path, bool stripCalculatorAnnotations = false) =>
        MathJsonRows.Read(path).Select(row =>
        {
            var question = row.String("question", Expected);
            var answer = row.String("answer", Expected);
            var marker = answer.LastIndexOf(MathAnswers.FinalAnswerMarker, StringComparison.Ordinal);
            if (marker < 0)
                throw new InvalidDataException($"{row.Where}: field 'answer' has no final '#### N' line. {Expected}");
            var final = answer[(marker + MathAnswers.FinalAnswerMarker.Length)..].Trim();
            var value = MathAnswers.ParseNumber(final)
                ?? throw new InvalidDataException($"{row.Where}: the final line '#### {final}' is not a number. {Expected}");
            var target = stripCalculatorAnnotations ? MathAnswers.StripCalculatorAnnotations(answer) : answer;
            return new GenerationExample(question.Trim(), target.Trim(), MathAnswers.Format(value));
        }).ToList();
}
