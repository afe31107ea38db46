using System.Diagnostics;
using System.Runtime.InteropServices;
using PeftBench.Reports;

namespace PeftBench.Harness.Probes;

/// <summary>Provenance recorded in every result: code version, packages, machine, threads, device.</summary>
public static class EnvironmentProbe
{
    public static Provenance Capture(string device, int threads, long seed)
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
            Gpu = device.StartsWith("cuda", StringComparison.Ordinal) ? GpuModel() : null,
            Dotnet = RuntimeInformation.FrameworkDescription,
            Threads = threads,
            Device = device,
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

    private static string? GpuModel() => Run("nvidia-smi", "--query-gpu=name,driver_version,memory.total --format=csv,noheader")?.Trim();

    /// <summary>Commit and dirty flag of the working directory's repository, cached per process.</summary>
    private static (string?, bool?) Git() => gitInfo.Value;

    private static readonly Lazy<(string?, bool?)> gitInfo = new(() =>
    {
        var commit = Run("git", "rev-parse HEAD")?.Trim();
        if (string.IsNullOrEmpty(commit)) return (null, null);
        var status = Run("git", "status --porcelain --untracked-files=no");
        return (commit, status is null ? null : status.Trim().Length > 0);
    });

    private static string? Run(string file, string args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (p is null) return null;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}
