using System.Globalization;

namespace PeftBench.Harness.Planning;

/// <summary>What a device name (<c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>) says: its kind and, for CUDA, the GPU index.</summary>
public static class DeviceNames
{
    public static string Normalize(string device) => device.Trim().ToLowerInvariant();

    public static bool IsCuda(string device) => device.StartsWith("cuda", StringComparison.Ordinal);

    /// <summary><c>cpu</c> or <c>cuda</c>: what cells on interchangeable devices share in their key.</summary>
    public static string Kind(string device) => IsCuda(device) ? "cuda" : "cpu";

    /// <summary>The GPU index of <c>cuda:N</c>; plain <c>cuda</c> is GPU 0, as libtorch picks.</summary>
    public static int CudaIndex(string device) =>
        device.Contains(':') ? int.Parse(device[(device.IndexOf(':') + 1)..], CultureInfo.InvariantCulture) : 0;

    /// <summary>Null for <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>; else what is wrong with the name.</summary>
    public static string? FormatProblem(string device)
    {
        if (device == "cpu" || device == "cuda") return null;
        if (device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(device[5..], NumberStyles.None, CultureInfo.InvariantCulture, out _)) return null;
        return $"unknown device '{device}'. Use cpu, cuda or cuda:N.";
    }
}
