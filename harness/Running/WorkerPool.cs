using System.Collections.Concurrent;
using PeftBench.Harness.Planning;
using PeftBench.Harness.Storage;
using PeftBench.Reports;

namespace PeftBench.Harness.Running;

/// <summary>
/// Runs cells in one worker process per device (<c>--devices cuda:0,cuda:1</c>, or <c>cpu,cpu</c>): this process hands
/// each idle worker the next cell over its standard input and learns of the result when the worker has written it
/// (<see cref="WorkerProtocol"/>). Workers are this same program in a hidden mode; each pins its device and thread count
/// and re-plans the same request, so every cell has the key the single-process run would give it.
/// <para>
/// A worker that dies mid-cell (libtorch aborts the whole process on some errors) leaves that cell recorded as failed
/// with the exit status, and the cell is retried once, on another worker where there is one; a fresh worker replaces
/// the dead one and the others go on. A worker that dies before it is ready (it could not start) is not replaced.
/// </para>
/// </summary>
public sealed class WorkerPool(IReadOnlyList<string> devices, IReadOnlyList<string> workerArguments, int threads, ResultStore store)
{
    /// <summary>First try plus one retry after a worker died.</summary>
    public const int MaxAttempts = 2;
    /// <summary>A slot whose workers die this many times in a row without finishing a cell is given up.</summary>
    public const int MaxConsecutiveDeaths = 3;
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    /// <param name="onFinished">Called on this thread for each cell's final result, with the worker that produced it.</param>
    /// <param name="log">Worker log lines and pool decisions, on this thread.</param>
    public void Run(IReadOnlyList<PlannedCell> pending, Action<PlannedCell, CellResult, string> onFinished, Action<string> log)
    {
        if (pending.Count == 0) return;
        var events = new BlockingCollection<WorkerEvent>();
        var queue = pending.Select(c => new WorkerAssignment(c, 1, [], null)).ToList();
        var workers = devices.Select((d, slot) => WorkerProcess.Start(slot, d, workerArguments, threads, events)).ToList();
        var deaths = new int[devices.Count];
        var outstanding = pending.Count;

        void Finish(WorkerAssignment a, CellResult result, string where)
        {
            onFinished(a.Cell, result, where);
            outstanding--;
        }

        try
        {
            while (outstanding > 0)
            {
                Dispatch(queue, workers);
                if (workers.Count == 0)
                {
                    foreach (var a in queue)
                        Finish(a, Failed(a, "no worker left to run it: every worker failed to start (see the log above)", devices[0]), "-");
                    break;
                }
                switch (events.Take())
                {
                    case WorkerLog { Worker: var w, Line: var line }:
                        // Stack frames of a dying worker's trace are noise on the console; the message line above them is kept.
                        if (!line.TrimStart().StartsWith("at ", StringComparison.Ordinal)) log($"[{w.Name}] {line}");
                        break;
                    case WorkerReply { Worker: var w, Parts: ["ready"] }:
                        w.IsReady = true;
                        break;
                    case WorkerReply { Worker: var w, Parts: ["done", var key, _] } when w.Current?.Cell.Key == key:
                        var done = w.Current!;
                        w.Current = null;
                        deaths[w.Slot] = 0;
                        var result = store.TryRead(key) ?? Failed(done, "the worker reported the cell done but its result file is missing or unreadable", w.Device);
                        if (done.EarlierFailures.Count > 0)
                        {
                            result = result with { EarlierAttempts = [.. done.EarlierFailures] };
                            store.Write(result);
                        }
                        Finish(done, result, w.Name);
                        break;
                    case WorkerReply { Worker: var w, Parts: ["missing", var key] } when w.Current?.Cell.Key == key:
                        var missing = w.Current!;
                        w.Current = null;
                        Finish(missing, Record(Failed(missing, "the worker's plan has no cell with this key (it planned a different matrix)", w.Device)), w.Name);
                        break;
                    case WorkerReply { Worker: var w, Parts: var parts }:
                        log($"[{w.Name}] unexpected reply: {string.Join(' ', parts)}");
                        break;
                    case WorkerExited { Worker: var w, ExitCode: var code }:
                        workers.Remove(w);
                        w.Dispose();
                        var exit = $"{WorkerProcess.DescribeExit(code)}{(w.LastError() is { } last ? $"; its last error line: {last.TrimEnd('.')}" : "")}";
                        if (w.Current is { } crashed)
                        {
                            // Recorded at once, so the failure is on disk even if this process dies too.
                            var failure = Record(Failed(crashed, $"worker {w.Name} died while running this cell (attempt {crashed.Attempt} of {MaxAttempts}): {exit}", w.Device)
                                with { EarlierAttempts = crashed.EarlierFailures.Count > 0 ? [.. crashed.EarlierFailures] : null });
                            if (crashed.Attempt < MaxAttempts)
                            {
                                log($"{crashed.Cell.Label}: worker {w.Name} died ({exit}); recorded as failed, retrying it once{(devices.Count > 1 ? " on another worker" : "")}.");
                                queue.Add(crashed with { Attempt = crashed.Attempt + 1, EarlierFailures = [.. crashed.EarlierFailures, failure.Error!], AvoidSlot = w.Slot });
                            }
                            else Finish(crashed, failure, w.Name);
                        }
                        else log($"worker {w.Name} died between cells: {exit}");
                        if (w.IsReady && ++deaths[w.Slot] < MaxConsecutiveDeaths)
                            workers.Add(WorkerProcess.Start(w.Slot, w.Device, workerArguments, threads, events));
                        else log($"no new worker for {w.Name}: {(w.IsReady ? $"{MaxConsecutiveDeaths} deaths in a row" : "it died before it was ready")}.");
                        break;
                }
            }
        }
        finally
        {
            foreach (var w in workers)
            {
                w.Stop(StopTimeout);
                w.Dispose();
            }
        }
    }

    /// <summary>
    /// Hands queued cells to idle, ready workers in queue order. A retried cell avoids the slot it crashed on while
    /// another live slot exists, so a device-specific fault does not fail it twice.
    /// </summary>
    private static void Dispatch(List<WorkerAssignment> queue, List<WorkerProcess> workers)
    {
        foreach (var w in workers.Where(w => w.IsReady && w.Current is null))
        {
            var otherSlots = workers.Any(o => o.Slot != w.Slot);
            var next = queue.FirstOrDefault(a => a.AvoidSlot != w.Slot || !otherSlots);
            if (next is null) continue;
            queue.Remove(next);
            w.Current = next;
            w.Send(WorkerProtocol.Run(next.Cell.Key, next.Attempt));
        }
    }

    private CellResult Record(CellResult failed)
    {
        store.Write(failed);
        return failed;
    }

    private static CellResult Failed(WorkerAssignment a, string reason, string device) =>
        CellRunner.Failed(a.Cell with { RunsOn = device }, reason);
}
