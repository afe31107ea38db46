using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using PeftBench.Harness.Planning;

namespace PeftBench.Harness.Running;

/// <summary>What a worker process reported to the pool: a protocol reply, a log line, or its exit.</summary>
public abstract record WorkerEvent(WorkerProcess Worker);
public sealed record WorkerReply(WorkerProcess Worker, string[] Parts) : WorkerEvent(Worker);
public sealed record WorkerLog(WorkerProcess Worker, string Line) : WorkerEvent(Worker);
public sealed record WorkerExited(WorkerProcess Worker, int ExitCode) : WorkerEvent(Worker);

/// <summary>A cell handed to a worker: which attempt this is and why the earlier ones failed.</summary>
public sealed record WorkerAssignment(PlannedCell Cell, int Attempt, IReadOnlyList<string> EarlierFailures, int? AvoidSlot);

/// <summary>
/// One worker child process as the pool sees it. Its standard output and error are read on their own threads and
/// become <see cref="WorkerEvent"/>s in the pool's queue; the exit is posted only after both streams have ended, so
/// the pool has every line a dying worker wrote before it learns of the death.
/// </summary>
public sealed class WorkerProcess : IDisposable
{
    private const int TailLines = 20;
    private readonly Process process;
    private readonly Queue<string> errorTail = new();
    private Thread? reader;

    public int Slot { get; }
    public string Device { get; }
    /// <summary>How the console names it: the device and the slot (<c>cpu#2</c>), as devices may repeat.</summary>
    public string Name => $"{Device}#{(Slot + 1).ToString(CultureInfo.InvariantCulture)}";
    public bool IsReady { get; set; }
    public WorkerAssignment? Current { get; set; }

    private WorkerProcess(int slot, string device, Process process)
    {
        Slot = slot;
        Device = device;
        this.process = process;
    }

    /// <summary>Starts <c>peftbench worker ARGS --worker-device DEVICE</c> with libtorch's thread pools sized to <paramref name="threads"/>.</summary>
    public static WorkerProcess Start(int slot, string device, IReadOnlyList<string> arguments, int threads, BlockingCollection<WorkerEvent> events)
    {
        var start = WorkerLaunch.StartInfo(["worker", .. arguments, "--worker-device", device]);
        // Sized before libtorch starts its OpenMP/MKL pools, so workers do not oversubscribe the cores between
        // process start and the runner's own set_num_threads.
        var count = threads.ToString(CultureInfo.InvariantCulture);
        start.Environment["OMP_NUM_THREADS"] = count;
        start.Environment["MKL_NUM_THREADS"] = count;
        // CUDA numbers GPUs fastest first by default, NVML and nvidia-smi by PCI bus: ask CUDA for the bus order, so
        // that a worker's cuda:N is the GPU N its memory probe and provenance read.
        start.Environment["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID";
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start a worker for {device}.");
        var worker = new WorkerProcess(slot, device, process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (worker.errorTail)
            {
                worker.errorTail.Enqueue(e.Data);
                if (worker.errorTail.Count > TailLines) worker.errorTail.Dequeue();
            }
            events.Add(new WorkerLog(worker, e.Data));
        };
        process.BeginErrorReadLine();
        worker.reader = new Thread(() =>
        {
            while (process.StandardOutput.ReadLine() is { } line)
                events.Add(WorkerProtocol.ParseReply(line) is { } parts ? new WorkerReply(worker, parts) : new WorkerLog(worker, line));
            process.WaitForExit(); // also waits for the error stream to end
            events.Add(new WorkerExited(worker, process.ExitCode));
        }) { IsBackground = true, Name = $"worker {worker.Name}" };
        worker.reader.Start();
        return worker;
    }

    public void Send(string line)
    {
        process.StandardInput.WriteLine(line);
        process.StandardInput.Flush();
    }

    /// <summary>No more cells: the worker exits once its standard input closes.</summary>
    public void Finish()
    {
        try { process.StandardInput.Close(); }
        catch (IOException) { } // already gone
    }

    /// <summary>Waits for the worker to exit, killing it after <paramref name="timeout"/>, and for its reader to finish.</summary>
    public void Stop(TimeSpan timeout)
    {
        Finish();
        if (!process.WaitForExit(timeout)) process.Kill(entireProcessTree: true);
        reader?.Join(timeout); // it reads the exit code: the process must not be disposed under it
    }

    /// <summary>The last error line the worker wrote (an abort's message), or null.</summary>
    public string? LastError()
    {
        lock (errorTail) return errorTail.LastOrDefault(l => !string.IsNullOrWhiteSpace(l) && !l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    /// <summary>
    /// An exit status in words. .NET reports a child killed by signal N as 128 + N, as shells do: 134 is SIGABRT (a
    /// native abort, e.g. libtorch's uncaught exception on a bad matmul), 137 SIGKILL (often the out-of-memory killer).
    /// </summary>
    public static string DescribeExit(int code)
    {
        if (code is > 128 and < 128 + 65)
        {
            var signal = code - 128;
            var name = signal switch
            {
                4 => "SIGILL", 6 => "SIGABRT", 7 => "SIGBUS", 8 => "SIGFPE", 9 => "SIGKILL (e.g. the out-of-memory killer)",
                11 => "SIGSEGV", 15 => "SIGTERM", _ => $"signal {signal}",
            };
            return $"exit code {code} (killed by signal {signal}: {name})";
        }
        return $"exit code {code}";
    }

    public void Dispose() => process.Dispose();
}
