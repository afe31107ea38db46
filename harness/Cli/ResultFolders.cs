using PeftBench.Reports;

namespace PeftBench.Harness.Cli;

/// <summary>Reads a results folder for a command: a missing, unreadable or empty folder becomes one clear message.</summary>
public static class ResultFolders
{
    public static IReadOnlyList<CellResult>? Read(string directory, Action<string> error)
    {
        IReadOnlyList<CellResult> results;
        try { results = ResultJson.ReadFolder(directory); }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or UnauthorizedAccessException)
        {
            error(e.Message);
            return null;
        }
        if (results.Count == 0)
        {
            error($"no result files in '{directory}' (expected cells/*.json). Did the run write somewhere else (--out)?");
            return null;
        }
        return results;
    }
}
