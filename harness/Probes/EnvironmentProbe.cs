using System.Runtime.InteropServices;
using PeftBench.Harness.Planning;
using PeftBench.Reports;

namespace PeftBench.Harness.Probes;

/// <summary>Provenance recorded in every result: code version, packages, machine, threads, device.</summary>
public static class EnvironmentProbe
{
    /// <param name="device">The device the cell ran on (<c>cuda:1</c> in a multi-device run, where the cell key says <c>cuda</c>).</param>
    public static Provenance Capture(string device, int threads, long seed, string? precision = null)
    {
        var (commit, dirty) = Git();
        return new Provenance
        {
            GitCommit = commit,
            GitDirty = dirty,
            PeftbenchVersion = BuildInfo.Version,
            Packages = new Dictionary<string, string>
            {
                ["TorchSharp"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "?",
                ["libtorch"] = $"{BuildInfo.TorchBackend} {TorchSharp.torch.__version__}",
                ["Microsoft.ML.Tokenizers"] = typeof(Microsoft.ML.Tokenizers.Tokenizer).Assembly.GetName().Version?.ToString() ?? "?",
            },
            Os = RuntimeInformation.OSDescription,
            Cpu = CpuModel(),
            Gpu = DeviceNames.IsCuda(device) ? GpuModel(device) : null,
            Dotnet = RuntimeInformation.FrameworkDescription,
            Threads = threads,
            Device = device,
            Precision = precision,
            Seed = seed,
            StartedUtc = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            Hostname = Environment.MachineName,
        };
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return $"{line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString()} ({Environment.ProcessorCount} logical cores)";
        }
        catch (IOException) { return $"{RuntimeInformation.ProcessArchitecture} ({Environment.ProcessorCount} logical cores)"; }
    }

    /// <summary>Name, driver and memory of the GPU the cell ran on (<c>cuda</c> alone: GPU 0, as libtorch picks).</summary>
    private static string? GpuModel(string device) =>
        ToolOutput.Run("nvidia-smi", $"--query-gpu=name,driver_version,memory.total --format=csv,noheader -i {DeviceNames.CudaIndex(device)}")?.Trim();

    /// <summary>Commit and dirty flag of the working directory's repository, cached per process.</summary>
    private static (string?, bool?) Git() => gitInfo.Value;

    private static readonly Lazy<(string?, bool?)> gitInfo = new(() =>
    {
        var commit = ToolOutput.Run("git", "rev-parse HEAD")?.Trim();
        if (string.IsNullOrEmpty(commit)) return (null, null);
        var status = ToolOutput.Run("git", "status --porcelain --untracked-files=no");
        return (commit, status is null ? null : status.Trim().Length > 0);
    });
}
