using System.Globalization;

namespace PeftBench.Harness.Running;

/// <summary>
/// The line protocol between a multi-device run and its workers. The parent writes <c>run KEY ATTEMPT</c> to a worker's
/// standard input and closes it when no cell is left; the worker answers on standard output with lines that start with
/// <see cref="Prefix"/> (anything else there, such as a native library's chatter, is passed through as a log line), and
/// writes each result file itself. One cell at a time per worker, so the parent always knows which cell a dead worker
/// was running.
/// </summary>
public static class WorkerProtocol
{
    public const string Prefix = "@peftbench ";

    public static string Run(string key, int attempt) => $"run {key} {attempt.ToString(CultureInfo.InvariantCulture)}";
    public static string Ready => Prefix + "ready";
    public static string Done(string key, string status) => $"{Prefix}done {key} {status}";
    public static string Missing(string key) => $"{Prefix}missing {key}";

    /// <summary>Parses the parent's <c>run KEY ATTEMPT</c>; null for anything else.</summary>
    public static (string Key, int Attempt)? ParseRun(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 3 && parts[0] == "run" && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var attempt)
            ? (parts[1], attempt) : null;
    }

    /// <summary>A worker's reply split into its verb (<c>ready</c>, <c>done</c>, <c>missing</c>) and arguments; null for a log line.</summary>
    public static string[]? ParseReply(string line) =>
        line.StartsWith(Prefix, StringComparison.Ordinal) ? line[Prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries) : null;
}
