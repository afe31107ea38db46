using System.Globalization;
using System.Runtime.InteropServices;
using PeftBench.Harness.Planning;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Harness.Probes;

/// <summary>
/// Whether a device can run <c>--precision bf16</c>, checked before anything trains. NVIDIA GPUs compute bf16 natively
/// from compute capability 8.0 (Ampere); libtorch may emulate it slowly or refuse below that, so older GPUs are refused
/// with the capability named. Every device must also run a small bf16 product, which catches builds and devices that
/// lack the kernels (on CPU libtorch always has them; they are fast only with AVX512-BF16 or AMX).
/// </summary>
public static class Bf16Support
{
    public const double MinimumComputeCapability = 8.0;

    /// <summary>Null when <paramref name="device"/> runs bf16, else the reason it cannot.</summary>
    public static string? Problem(string device)
    {
        if (DeviceNames.IsCuda(device) && ComputeCapability(DeviceNames.CudaIndex(device)) is { } capability
            && CapabilityProblem(device, capability) is { } tooOld)
            return tooOld;
        try
        {
            using var scope = NewDisposeScope();
            var x = ones(2, 4, dtype: ScalarType.BFloat16, device: TorchSharp.torch.device(device));
            var w = ones(3, 4, dtype: ScalarType.BFloat16, device: TorchSharp.torch.device(device));
            _ = F.linear(x, w).sum().to(ScalarType.Float32).cpu().item<float>();
            return null;
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException or ArgumentException or NotSupportedException)
        {
            return $"--precision bf16: a bfloat16 product fails on {device} ({e.Message.Split('\n')[0]}). Use --precision fp32.";
        }
    }

    /// <summary>Null when a GPU of <paramref name="capability"/> computes bf16 natively, else the refusal.</summary>
    public static string? CapabilityProblem(string device, double capability) =>
        capability >= MinimumComputeCapability ? null
        : $"--precision bf16: {device} has compute capability {capability.ToString("0.0", CultureInfo.InvariantCulture)}; " +
          $"bf16 needs {MinimumComputeCapability.ToString("0.0", CultureInfo.InvariantCulture)} or newer (Ampere, Hopper …). Use --precision fp32 on this GPU.";

    /// <summary>The GPU's compute capability from nvidia-smi (e.g. 9.0 for an H100), or null where it cannot tell.</summary>
    private static double? ComputeCapability(int index) =>
        double.TryParse(ToolOutput.Run("nvidia-smi", $"--query-gpu=compute_cap --format=csv,noheader -i {index}")?.Trim(),
            NumberStyles.Float, CultureInfo.InvariantCulture, out var c) ? c : null;
}
