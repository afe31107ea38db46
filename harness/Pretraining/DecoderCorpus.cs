using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// One document of the decoder's corpus: its domain (<c>english</c>, <c>arithmetic</c>, <c>code</c>), where it came
/// from, and its text, which may span lines (code, paragraphs). The shipped <c>corpus.jsonl.gz</c> holds one record a
/// line as JSON, so multi-line documents survive and held-out losses can be split by domain.
/// </summary>
public sealed record CorpusRecord(
    [property: JsonPropertyName("domain")] string Domain,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("text")] string Text)
{
    public static readonly IReadOnlyList<string> Domains = ["english", "arithmetic", "code"];

    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string ToJsonLine() => JsonSerializer.Serialize(this, Json);

    public static CorpusRecord FromJsonLine(string line) =>
        JsonSerializer.Deserialize<CorpusRecord>(line, Json) ?? throw new InvalidDataException($"not a corpus record: {line[..Math.Min(80, line.Length)]}");

    public static void WriteGzip(string path, IEnumerable<CorpusRecord> records) => GzipLines.Write(path, records.Select(r => r.ToJsonLine()));

    public static List<CorpusRecord> ReadGzip(string path) => GzipLines.Read(path).Select(FromJsonLine).ToList();
}
