using PeftBench.Harness.Planning;
using PeftBench.Harness.Probes;
using PeftBench.Harness.Running;
using PeftBench.Reports;

namespace PeftBench.Tests.Harness;

/// <summary>Runs every cell of a plan (one per registered method) and collects what went wrong, for the every-method tests.</summary>
public static class EveryMethodRun
{
    /// <summary>
    /// Each cell must end ok, or not applicable where the planner said so; an ok cell is then checked by
    /// <paramref name="problemWithOkResult"/> (null: fine). CellRunner itself checks each method's parameter count
    /// against what requires grad.
    /// </summary>
    public static List<string> Failures(IEnumerable<PlannedCell> cells, Func<CellResult, string?> problemWithOkResult)
    {
        var runner = new CellRunner(new ProcessHighWaterMarkProbe());
        var failures = new List<string>();
        foreach (var cell in cells)
        {
            var result = runner.Run(cell);
            var expected = cell.NotApplicable is null ? CellStatus.Ok : CellStatus.NotApplicable;
            if (result.Status != expected) failures.Add($"{cell.Method.Id}: {result.Status} {result.Error}");
            else if (expected == CellStatus.Ok && problemWithOkResult(result) is { } problem) failures.Add($"{cell.Method.Id}: {problem}");
        }
        return failures;
    }
}
