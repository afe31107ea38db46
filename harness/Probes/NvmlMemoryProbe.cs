using System.Runtime.InteropServices;

namespace PeftBench.Harness.Probes;

/// <summary>
/// GPU memory of this process through NVML (<c>libnvidia-ml.so.1</c>, shipped with every NVIDIA driver), sampled
/// every <see cref="IntervalMs"/> ms by a background thread; TorchSharp 0.107 exposes no allocator statistics.
/// It reads this process's used memory from <c>nvmlDeviceGetComputeRunningProcesses</c>; where the process table is
/// not visible (some containers hide host PIDs) it falls back to the device's used memory above the level at
/// <see cref="Reset"/>, and <see cref="Source"/> says which. Either way the figure includes the CUDA context and the
/// caching allocator's reserve, as nvidia-smi's does, and spikes shorter than the interval can be missed.
/// </summary>
public sealed class NvmlMemoryProbe : IMemoryProbe
{
    public const int IntervalMs = 10;
    private const string Library = "libnvidia-ml.so.1";

    private readonly IntPtr device;
    private readonly uint pid = (uint)Environment.ProcessId;
    private readonly Timer timer;
    private readonly object gate = new();
    private long peak;
    private long baseline;
    private bool processVisible = true;
    private bool disposed;

    public string Source => processVisible
        ? $"NVML used memory of this process on GPU {Index} ({IntervalMs} ms sampling)"
        : $"NVML device used memory above the level at cell start on GPU {Index} ({IntervalMs} ms sampling; process table not visible)";

    public uint Index { get; }

    private NvmlMemoryProbe(uint index, IntPtr device)
    {
        Index = index;
        this.device = device;
        Reset();
        timer = new Timer(_ => Sample(), null, 0, IntervalMs);
    }

    /// <summary>The probe for GPU <paramref name="index"/>, or null with the reason when NVML cannot be used here.</summary>
    public static NvmlMemoryProbe? TryCreate(uint index, out string? reason)
    {
        try
        {
            Check(nvmlInit_v2(), "nvmlInit");
            Check(nvmlDeviceGetHandleByIndex_v2(index, out var handle), $"nvmlDeviceGetHandleByIndex({index})");
            reason = null;
            return new NvmlMemoryProbe(index, handle);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            reason = e.Message;
            return null;
        }
    }

    public void Reset()
    {
        lock (gate)
        {
            baseline = DeviceUsed();
            Interlocked.Exchange(ref peak, 0);
        }
        Sample();
    }

    public long PeakBytes()
    {
        Sample();
        return Interlocked.Read(ref peak);
    }

    /// <summary>This process's GPU memory now (or the device's above the baseline), in bytes.</summary>
    public long CurrentBytes()
    {
        var own = ProcessUsed();
        processVisible = own is not null;
        return own ?? Math.Max(0, DeviceUsed() - baseline);
    }

    private void Sample()
    {
        lock (gate)
        {
            if (disposed) return;
            var now = CurrentBytes();
            if (now > peak) Interlocked.Exchange(ref peak, now);
        }
    }

    private long? ProcessUsed()
    {
        uint count = 0;
        var status = nvmlDeviceGetComputeRunningProcesses_v3(device, ref count, null);
        if (status == Success && count == 0) return 0;
        if (status != InsufficientSize) return null;
        var infos = new ProcessInfo[count + 8];
        count = (uint)infos.Length;
        if (nvmlDeviceGetComputeRunningProcesses_v3(device, ref count, infos) != Success) return null;
        for (var i = 0; i < count; i++)
            if (infos[i].Pid == pid) return (long)infos[i].UsedGpuMemory;
        // Processes are listed but not this one: PIDs from another namespace (or nothing allocated yet).
        return null;
    }

    private long DeviceUsed() => nvmlDeviceGetMemoryInfo(device, out var info) == Success ? (long)info.Used : 0;

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
        }
        timer.Dispose();
        nvmlShutdown();
    }

    private static void Check(int status, string call)
    {
        if (status != Success) throw new InvalidOperationException($"{call} failed with NVML status {status}.");
    }

    private const int Success = 0;
    private const int InsufficientSize = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct ProcessInfo
    {
        public uint Pid;
        public ulong UsedGpuMemory;
        public uint GpuInstanceId;
        public uint ComputeInstanceId;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MemoryInfo
    {
        public ulong Total;
        public ulong Free;
        public ulong Used;
    }

    [DllImport(Library)] private static extern int nvmlInit_v2();
    [DllImport(Library)] private static extern int nvmlShutdown();
    [DllImport(Library)] private static extern int nvmlDeviceGetHandleByIndex_v2(uint index, out IntPtr device);
    [DllImport(Library)] private static extern int nvmlDeviceGetComputeRunningProcesses_v3(IntPtr device, ref uint count, [Out] ProcessInfo[]? infos);
    [DllImport(Library)] private static extern int nvmlDeviceGetMemoryInfo(IntPtr device, out MemoryInfo memory);
}
