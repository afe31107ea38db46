using System.Diagnostics;
using System.Globalization;
using PeftBench.Harness.Planning;

namespace PeftBench.Harness.Probes;

/// <summary>Peak memory of one cell, behind one interface: process high-water mark on CPU, device peak on GPU.</summary>
public interface IMemoryProbe : IDisposable
{
    string Source { get; }
    /// <summary>Starts a new measurement window (called before each cell).</summary>
    void Reset();
    long PeakBytes();
}

public static class MemoryProbes
{
    /// <summary>NVML on CUDA (nvidia-smi sampling where NVML cannot be loaded), the process high-water mark on CPU.</summary>
    public static IMemoryProbe For(string device)
    {
        if (!DeviceNames.IsCuda(device)) return new ProcessHighWaterMarkProbe();
        return NvmlMemoryProbe.TryCreate((uint)DeviceNames.CudaIndex(device), out _) ?? (IMemoryProbe)new NvidiaSmiMemoryProbe();
    }
}

/// <summary>
/// Linux VmHWM (peak resident set) of this process. Writing 5 to /proc/self/clear_refs resets the mark
/// (Linux ≥ 4.0), so each cell gets its own peak even though cells share a process. Where the reset is not
/// permitted the figure is the process peak so far, and <see cref="Source"/> says so.
/// </summary>
public sealed class ProcessHighWaterMarkProbe : IMemoryProbe
{
    private bool resettable = true;

    public string Source => resettable ? "process VmHWM (reset per cell)" : "process VmHWM (cumulative: reset not permitted)";

    public void Reset()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { resettable = false; }
    }

    public long PeakBytes()
    {
        if (!File.Exists("/proc/self/status")) return Process.GetCurrentProcess().PeakWorkingSet64;
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }

    public void Dispose() { }
}

/// <summary>
/// GPU memory of this process from <c>nvidia-smi</c>, sampled every 50 ms by a background thread (TorchSharp
/// 0.107 exposes no allocator statistics). The peak is the largest sample in the window: it can miss spikes
/// shorter than the interval, and includes the CUDA context.
/// </summary>
public sealed class NvidiaSmiMemoryProbe : IMemoryProbe
{
    private readonly Timer timer;
    private long peak;

    public string Source => "nvidia-smi used_memory of this process (50 ms sampling)";

    public NvidiaSmiMemoryProbe() { timer = new Timer(_ => Sample(), null, 0, 50); }

    public void Reset() => Interlocked.Exchange(ref peak, 0);
    public long PeakBytes() { Sample(); return Interlocked.Read(ref peak); }

    private void Sample()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("nvidia-smi", "--query-compute-apps=pid,used_memory --format=csv,noheader,nounits")
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(',', StringSplitOptions.TrimEntries);
                if (parts.Length == 2 && parts[0] == pid && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var mib))
                {
                    var bytes = mib * 1024 * 1024;
                    long current;
                    while ((current = Interlocked.Read(ref peak)) < bytes && Interlocked.CompareExchange(ref peak, bytes, current) != current) { }
                }
            }
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException) { }
    }

    public void Dispose() => timer.Dispose();
}
