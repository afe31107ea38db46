using NUnit.Framework;
using PeftBench.Harness.Probes;

namespace PeftBench.Tests.Harness;

/// <summary>
/// The memory probes' contract on this machine. The NVML probe itself was checked on an H100 with
/// <c>make gpu-probe-check</c> (1 GiB and 4 GiB allocations seen, reset between windows); here, without a GPU, the
/// factory must degrade cleanly instead of failing a run.
/// </summary>
public sealed class MemoryProbeTests
{
    [Test]
    public void CpuProbeSeesAnAllocationAndResets()
    {
        using var probe = MemoryProbes.For("cpu");
        probe.Reset();
        var before = probe.PeakBytes();
        var block = new byte[64 << 20];
        Random.Shared.NextBytes(block);
        Assert.That(probe.PeakBytes(), Is.GreaterThan(before + (48L << 20)), probe.Source);
        GC.KeepAlive(block);
    }

    [Test]
    public void NvmlIsReportedUnavailableWithAReasonWhereThereIsNoDriver()
    {
        if (File.Exists("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1") || Directory.Exists("/proc/driver/nvidia"))
            Assert.Ignore("an NVIDIA driver is present: run `make gpu-probe-check` instead.");
        var probe = NvmlMemoryProbe.TryCreate(0, out var reason);
        Assert.That(probe, Is.Null);
        Assert.That(reason, Does.Contain("nvidia-ml").Or.Contain("NVML"));
        using var fallback = MemoryProbes.For("cuda:0");
        Assert.That(fallback, Is.InstanceOf<NvidiaSmiMemoryProbe>(), "without NVML the CUDA path falls back to nvidia-smi sampling");
    }
}
