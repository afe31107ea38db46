using System.Text.Json;

namespace PeftBench.Tasks.Code;

/// <summary>
/// One MBPP problem (Austin et al. 2021, "Program Synthesis with Large Language Models"; google-research/mbpp JSONL):
/// a description, a reference solution and assert statements. Challenge tests are kept but not part of
/// <see cref="Program"/>: MBPP's own evaluation uses <c>test_list</c> only.
/// </summary>
public sealed record MbppProblem(string TaskId, string Text, string Code, IReadOnlyList<string> TestList,
    string TestSetupCode, IReadOnlyList<string> ChallengeTestList)
{
    /// <summary>The program the sandbox runs for one candidate: setup code, the candidate, then each assert.</summary>
    public string Program(string candidate) =>
        string.Join("\n", new[] { TestSetupCode, candidate }.Concat(TestList)) + "\n";
}

/// <summary>
/// One HumanEval problem (Chen et al. 2021; openai/human-eval JSONL). The model completes <see cref="Prompt"/>; the
/// program run is prompt + completion + test + <c>check(entry_point)</c>, as human-eval's <c>check_correctness</c> builds it.
/// </summary>
public sealed record HumanEvalProblem(string TaskId, string Prompt, string CanonicalSolution, string Test, string EntryPoint)
{
    public string Program(string completion) => Prompt + completion + "\n" + Test + "\n" + $"check({EntryPoint})\n";
}

/// <summary>Readers for the MBPP and HumanEval JSONL files. Errors name the file, the line, the field and the fix.</summary>
public static class CodeJsonl
{
    public static IReadOnlyList<MbppProblem> ReadMbpp(string path) =>
        Rows(path, "MBPP", (row, where) => new MbppProblem(
            Id(row, "task_id", where),
            Text(row, "text", where),
            Text(row, "code", where),
            Strings(row, "test_list", where, required: true),
            Text(row, "test_setup_code", where, required: false),
            Strings(row, "challenge_test_list", where, required: false)));

    public static IReadOnlyList<HumanEvalProblem> ReadHumanEval(string path) =>
        Rows(path, "HumanEval", (row, where) => new HumanEvalProblem(
            Id(row, "task_id", where),
            Text(row, "prompt", where),
            Text(row, "canonical_solution", where, required: false),
            Text(row, "test", where),
            Text(row, "entry_point", where)));

    private static IReadOnlyList<T> Rows<T>(string path, string format, Func<JsonElement, string, T> parse)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{format} file '{path}' does not exist; pass the path of the {format} .jsonl file (one JSON object per line).", path);
        var rows = new List<T>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string where = $"{path}, line {lineNumber}";
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{where}: not valid JSON ({e.Message}); each line of a {format} .jsonl file must be one JSON object.");
            }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw new InvalidDataException($"{where}: expected a JSON object, found {doc.RootElement.ValueKind}; each line must be one {format} problem.");
                var row = parse(doc.RootElement, where);
                string id = row switch { MbppProblem m => m.TaskId, HumanEvalProblem h => h.TaskId, _ => "" };
                if (!seen.Add(id))
                    throw new InvalidDataException($"{where}: task_id '{id}' appears twice; remove the duplicate row.");
                rows.Add(row);
            }
        }
        if (rows.Count == 0) throw new InvalidDataException($"{path}: holds no {format} problems; check that it is the right file.");
        return rows;
    }

    private static JsonElement? Field(JsonElement row, string name, string where, bool required)
    {
        if (row.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null) return value;
        if (required) throw new InvalidDataException($"{where}: field '{name}' is missing; add it (see the format's README for the field list).");
        return null;
    }

    /// <summary>MBPP's ids are integers, HumanEval's strings ("HumanEval/0"); both are kept as text.</summary>
    private static string Id(JsonElement row, string name, string where)
    {
        var value = Field(row, name, where, required: true)!.Value;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number => value.GetRawText(),
            _ => throw new InvalidDataException($"{where}: field '{name}' must be a string or an integer, found {value.ValueKind}."),
        };
    }

    private static string Text(JsonElement row, string name, string where, bool required = true)
    {
        var value = Field(row, name, where, required);
        if (value is null) return "";
        if (value.Value.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{where}: field '{name}' must be a string, found {value.Value.ValueKind}.");
        return value.Value.GetString()!;
    }

    private static IReadOnlyList<string> Strings(JsonElement row, string name, string where, bool required)
    {
        var value = Field(row, name, where, required);
        if (value is null) return [];
        if (value.Value.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{where}: field '{name}' must be a list of strings, found {value.Value.ValueKind}.");
        return value.Value.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.String ? e.GetString()!
            : throw new InvalidDataException($"{where}: field '{name}' item {i} must be a string, found {e.ValueKind}.")).ToList();
    }
}
