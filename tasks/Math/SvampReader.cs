namespace PeftBench.Tasks.MathProblems;

/// <summary>
/// SVAMP as distributed (arkilpatel/SVAMP <c>data/SVAMP.json</c>): one JSON array of
/// <c>{"ID", "Body", "Question", "Equation", "Answer", "Type"}</c>, <c>Answer</c> a number (<c>1.0</c>).
/// Prompt = Body + " " + Question (the usual concatenation); SVAMP has no worked solutions, so Target = the
/// dataset's equation and its value, then <c>#### N</c> (<c>( 4.0 - 3.0 ) = 1\n#### 1</c>); Answer = N.
/// </summary>
public static class SvampReader
{
    private const string Expected = "SVAMP rows are {\"Body\", \"Question\", \"Equation\", \"Answer\": number} (arkilpatel/SVAMP data/SVAMP.json); check that the file is SVAMP.";

    public static IReadOnlyList<GenerationExample> Read(string path) =>
        MathJsonRows.Read(path).Select(row =>
        {
            var body = row.String("Body", Expected).Trim();
            var question = row.String("Question", Expected).Trim();
            var equation = row.String("Equation", Expected).Trim();
            var answer = MathAnswers.Format(row.Number(row.Field("Answer", Expected), "Answer", Expected));
            return new GenerationExample($"{body} {question}", $"{equation} = {answer}\n{MathAnswers.FinalAnswerMarker} {answer}", answer);
        }).ToList();
}
