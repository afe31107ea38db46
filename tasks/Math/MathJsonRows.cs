using System.Text;
using System.Text.Json;

namespace PeftBench.Tasks.MathProblems;

/// <summary>One JSON object of a data file with where it starts (1-based line), so that errors can name the line.</summary>
public sealed record JsonRow(string File, int Line, JsonElement Value)
{
    public string Where => $"{File}: line {Line}";

    /// <summary>A string field; a missing, null or non-string field throws naming the file, line, field and the fix.</summary>
    public string String(string field, string expected)
    {
        if (Value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{Where}: expected a JSON object, found {Value.ValueKind}. {expected}");
        if (!Value.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
            throw new InvalidDataException($"{Where}: field '{field}' is missing. {expected}");
        return v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw new InvalidDataException($"{Where}: field '{field}' should be a string, found {v.ValueKind}. {expected}");
    }

    /// <summary>A field whose value is a number or a numeric string (datasets write both: <c>1.0</c>, <c>"1.0"</c>).</summary>
    public double Number(JsonElement v, string field, string expected)
    {
        if (v.ValueKind == JsonValueKind.Number) return v.GetDouble();
        if (v.ValueKind == JsonValueKind.String && MathAnswers.ParseNumber(v.GetString()!) is { } parsed) return parsed;
        throw new InvalidDataException($"{Where}: field '{field}' should be a number, found {(v.ValueKind == JsonValueKind.String ? $"\"{v.GetString()}\"" : v.ValueKind.ToString())}. {expected}");
    }

    public JsonElement Field(string field, string expected)
    {
        if (Value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{Where}: expected a JSON object, found {Value.ValueKind}. {expected}");
        return Value.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null ? v
            : throw new InvalidDataException($"{Where}: field '{field}' is missing. {expected}");
    }

    public bool Has(string field) => Value.ValueKind == JsonValueKind.Object && Value.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null;
}

/// <summary>
/// Reads the two layouts math datasets are distributed in: JSON Lines (one object a line: GSM8K, AQuA-RAT) and one JSON
/// array of objects (SVAMP, MAWPS). <see cref="Read"/> accepts either, judged by the first non-blank character, because
/// copies circulate in both (AQuA's <c>train.json</c> is JSON Lines despite its name).
/// </summary>
public static class MathJsonRows
{
    public static IReadOnlyList<JsonRow> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found (pass the dataset file as distributed, e.g. test.jsonl).", path);
        var bytes = File.ReadAllBytes(path);
        var text = Encoding.UTF8.GetString(bytes);
        var first = text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (first.Length == 0) throw new InvalidDataException($"{path}: the file is empty.");
        return first[0] == '[' ? ReadArray(path, bytes) : ReadLines(path, text);
    }

    private static List<JsonRow> ReadLines(string path, string text)
    {
        var rows = new List<JsonRow>();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim().TrimStart('\uFEFF');
            if (line.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                rows.Add(new JsonRow(path, i + 1, doc.RootElement.Clone()));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}: line {i + 1}: not a JSON object ({e.Message}). JSON Lines files hold one complete object per line.");
            }
        }
        return rows;
    }

    /// <summary>A top-level array, each element's line found from its byte offset.</summary>
    private static List<JsonRow> ReadArray(string path, byte[] bytes)
    {
        var rows = new List<JsonRow>();
        var span = bytes.AsSpan();
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
        var reader = new Utf8JsonReader(span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            reader.Read(); // StartArray
            int line = 1, counted = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                // lines counted incrementally from the previous element's start (files hold thousands of rows)
                var start = (int)reader.TokenStartIndex;
                line += span[counted..start].Count((byte)'\n');
                counted = start;
                using var doc = JsonDocument.ParseValue(ref reader);
                rows.Add(new JsonRow(path, line, doc.RootElement.Clone()));
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}). Expected one array of objects, as the dataset is distributed.");
        }
        return rows;
    }
}
