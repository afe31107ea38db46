using System.Runtime.InteropServices;
using PeftBench.Harness.Probes;

// Allocates 1 GiB, then 3 GiB more, through the CUDA driver API, frees them, and prints what the NVML probe saw at
// each step next to what was allocated. Exit 0 when the probe's peak covers the allocations (and the reset works).
const long GiB = 1L << 30;
Check(Cuda.cuInit(0), "cuInit");
Check(Cuda.cuDeviceGet(out var dev, 0), "cuDeviceGet");
Check(Cuda.cuDevicePrimaryCtxRetain(out var ctx, dev), "cuDevicePrimaryCtxRetain");
Check(Cuda.cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
using var probe = NvmlMemoryProbe.TryCreate(0, out var reason) ?? throw new InvalidOperationException("NVML: " + reason);
Thread.Sleep(100);
probe.Reset();
var context = probe.CurrentBytes();
Console.WriteLine($"source: {probe.Source}");
Console.WriteLine($"after CUDA context: current {context / (double)GiB:F3} GiB");
Check(Cuda.cuMemAlloc_v2(out var a, (nuint)GiB), "cuMemAlloc 1 GiB");
Check(Cuda.cuMemsetD8_v2(a, 1, (nuint)GiB), "cuMemset");
Thread.Sleep(200);
var one = probe.PeakBytes();
Check(Cuda.cuMemAlloc_v2(out var b, (nuint)(3 * GiB)), "cuMemAlloc 3 GiB");
Check(Cuda.cuMemsetD8_v2(b, 1, (nuint)(3 * GiB)), "cuMemset");
Thread.Sleep(200);
Check(Cuda.cuMemFree_v2(b), "cuMemFree");
Check(Cuda.cuMemFree_v2(a), "cuMemFree");
Thread.Sleep(200);
var four = probe.PeakBytes();
var afterFree = probe.CurrentBytes();
probe.Reset();
Thread.Sleep(100);
var afterReset = probe.PeakBytes();
Console.WriteLine($"peak with 1 GiB allocated: {one / (double)GiB:F3} GiB");
Console.WriteLine($"peak with 4 GiB allocated (then freed): {four / (double)GiB:F3} GiB");
Console.WriteLine($"current after freeing: {afterFree / (double)GiB:F3} GiB");
Console.WriteLine($"peak after reset: {afterReset / (double)GiB:F3} GiB");
var ok = one >= GiB && four >= 4 * GiB && four - one >= 3 * GiB - GiB / 8 && afterReset < four - 3 * GiB;
Console.WriteLine(ok ? "PASS: the probe's peak covers the allocations and resets between windows" : "FAIL");
return ok ? 0 : 1;

static void Check(int status, string call)
{
    if (status != 0) throw new InvalidOperationException($"{call} failed with CUDA status {status}");
}

static class Cuda
{
    private const string Library = "libcuda.so.1";
    [DllImport(Library)] public static extern int cuInit(uint flags);
    [DllImport(Library)] public static extern int cuDeviceGet(out int device, int ordinal);
    [DllImport(Library)] public static extern int cuDevicePrimaryCtxRetain(out IntPtr context, int device);
    [DllImport(Library)] public static extern int cuCtxSetCurrent(IntPtr context);
    [DllImport(Library)] public static extern int cuMemAlloc_v2(out ulong pointer, nuint bytes);
    [DllImport(Library)] public static extern int cuMemsetD8_v2(ulong pointer, byte value, nuint count);
    [DllImport(Library)] public static extern int cuMemFree_v2(ulong pointer);
}
