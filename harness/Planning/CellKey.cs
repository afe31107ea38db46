using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace PeftBench.Harness.Planning;

/// <summary>
/// A cell's identity: a hash of everything that decides its result (task and version, data source, model and
/// weights checksum, method and version, resolved config, budget, seed, recipe, device, threads). Same key ⇒
/// same numbers on the same machine, so a result file named by it lets re-runs skip the cell.
/// </summary>
public static class CellKey
{
    public const int SchemaVersion = 1;

    public static string Compute(JsonObject identity)
    {
        var canonical = Canonicalize(identity)!.ToJsonString();
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"peftbench-cell-v{SchemaVersion}\n{canonical}"));
        return Convert.ToHexString(hash, 0, 10).ToLowerInvariant();
    }

    /// <summary>Sorts object keys recursively so that property order never changes a key.</summary>
    public static JsonNode? Canonicalize(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => KeyValuePair.Create(kv.Key, Canonicalize(kv.Value)))),
        JsonArray a => new JsonArray(a.Select(Canonicalize).ToArray()),
        null => null,
        _ => node!.DeepClone(),
    };
}
