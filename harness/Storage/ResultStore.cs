using PeftBench.Reports;

namespace PeftBench.Harness.Storage;

/// <summary>
/// One JSON file per cell under <c>RUN/cells/KEY.json</c>, written atomically. A cell counts as finished when
/// its file says ok or diverged (divergence is a result); failed cells are retried on the next run.
/// Shards of one matrix can share the folder: each key is written by exactly one cell.
/// </summary>
public sealed class ResultStore(string runDirectory)
{
    public string RunDirectory { get; } = runDirectory;
    public string CellsDirectory => Path.Combine(RunDirectory, "cells");

    public string PathFor(string key) => Path.Combine(CellsDirectory, key + ".json");

    public CellResult? TryRead(string key)
    {
        var path = PathFor(key);
        if (!File.Exists(path)) return null;
        try { return ResultJson.Deserialize(File.ReadAllText(path), path); }
        catch (System.Text.Json.JsonException) { return null; } // unreadable: treat as not run; it is rewritten
    }

    public bool IsFinished(string key) => TryRead(key) is { Status: CellStatus.Ok or CellStatus.Diverged or CellStatus.NotApplicable };

    public void Write(CellResult result) => AtomicFile.WriteAllText(PathFor(result.Key), ResultJson.Serialize(result));
}
