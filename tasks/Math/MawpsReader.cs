using System.Text.Json;

namespace PeftBench.Tasks.MathProblems;

/// <summary>
/// MAWPS in its two common distributions, both one JSON array:
/// <list type="bullet">
/// <item>sroy9/mawps (and AddSub / SingleEq / MultiArith in the same schema):
/// <c>{"iIndex", "sQuestion", "lEquations": ["X=(70.0-27.0)"], "lSolutions": [43.0]}</c>;</item>
/// <item>MWPToolkit's <c>mawps</c> folds: <c>{"id", "original_text", "segmented_text", "equation": "X=((22.0-14.0)/4.0)", "ans": 2.0}</c>.</item>
/// </list>
/// Each row is judged on its own fields (sQuestion wins when both are present). Only single-answer problems are
/// supported: a row with several solutions (an equation system) is an error rather than silently scored on one.
/// Prompt = question text; Target = the equation, then <c>#### N</c>; Answer = N.
/// </summary>
public static class MawpsReader
{
    private const string Expected = "MAWPS rows are {\"sQuestion\", \"lEquations\": [\"X=...\"], \"lSolutions\": [N]} (sroy9/mawps) or {\"original_text\", \"equation\", \"ans\": N} (MWPToolkit); check that the file is MAWPS.";

    public static IReadOnlyList<GenerationExample> Read(string path) =>
        MathJsonRows.Read(path).Select(row =>
        {
            string question, equation;
            double answer;
            if (row.Has("sQuestion") || !row.Has("original_text"))
            {
                question = row.String("sQuestion", Expected);
                equation = Single(row, "lEquations", Expected) is var e && e.ValueKind == JsonValueKind.String ? e.GetString()!
                    : throw new InvalidDataException($"{row.Where}: 'lEquations' should hold strings. {Expected}");
                answer = row.Number(Single(row, "lSolutions", Expected), "lSolutions", Expected);
            }
            else
            {
                question = row.String("original_text", Expected);
                equation = row.String("equation", Expected);
                answer = row.Number(row.Field("ans", Expected), "ans", Expected);
            }
            var n = MathAnswers.Format(answer);
            return new GenerationExample(question.Trim(), $"{equation.Trim()}\n{MathAnswers.FinalAnswerMarker} {n}", n);
        }).ToList();

    private static JsonElement Single(JsonRow row, string field, string expected)
    {
        var list = row.Field(field, expected);
        if (list.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{row.Where}: '{field}' should be a list, found {list.ValueKind}. {expected}");
        return list.GetArrayLength() == 1 ? list[0]
            : throw new InvalidDataException($"{row.Where}: '{field}' holds {list.GetArrayLength()} entries; only single-answer problems (one equation, one solution) are supported. Remove equation-system rows from the file.");
    }
}
