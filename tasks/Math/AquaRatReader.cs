using System.Text.Json;

namespace PeftBench.Tasks.MathProblems;

/// <summary>
/// AQuA-RAT as distributed (google-deepmind/AQuA <c>train.json</c>, <c>dev.json</c>, <c>test.json</c>: JSON Lines despite
/// the name; also accepted as one array): <c>{"question", "options": ["A)21", "B)21.5", …], "rationale", "correct": "C"}</c>.
/// Prompt = question, a newline, then the options joined by spaces (<c>A)21 B)21.5 …</c>); Target = the rationale as
/// written, then <c>#### C</c> so that every math target ends the same way; Answer = the correct letter.
/// </summary>
public static class AquaRatReader
{
    private const string Expected = "AQuA-RAT rows are {\"question\", \"options\": [\"A)...\", ...], \"rationale\", \"correct\": \"A\"-\"E\"} (google-deepmind/AQuA); check that the file is AQuA-RAT.";

    public static IReadOnlyList<GenerationExample> Read(string path) =>
        MathJsonRows.Read(path).Select(row =>
        {
            var question = row.String("question", Expected).Trim();
            var options = row.Field("options", Expected);
            if (options.ValueKind != JsonValueKind.Array || options.GetArrayLength() == 0 || options.EnumerateArray().Any(o => o.ValueKind != JsonValueKind.String))
                throw new InvalidDataException($"{row.Where}: 'options' should be a non-empty list of strings like \"A)21\". {Expected}");
            var texts = options.EnumerateArray().Select(o => o.GetString()!.Trim()).ToList();
            var rationale = row.String("rationale", Expected).Trim();
            var correct = row.String("correct", Expected).Trim().ToUpperInvariant();
            if (correct.Length != 1 || correct[0] < 'A' || correct[0] >= 'A' + texts.Count)
                throw new InvalidDataException($"{row.Where}: 'correct' is \"{correct}\"; it should be one of the {texts.Count} option letters A–{(char)('A' + texts.Count - 1)}. {Expected}");
            return new GenerationExample($"{question}\n{string.Join(" ", texts)}", $"{rationale}\n{MathAnswers.FinalAnswerMarker} {correct}", correct);
        }).ToList();
}
