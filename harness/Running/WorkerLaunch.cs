using System.Diagnostics;

namespace PeftBench.Harness.Running;

/// <summary>
/// How to start this same program as a worker: its native launcher (<c>peftbench</c>) where the build put one next to
/// the assembly (it does on Linux, also in the test output folder), else <c>dotnet exec peftbench.dll</c>.
/// </summary>
public static class WorkerLaunch
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var assembly = typeof(WorkerLaunch).Assembly.Location;
        var launcher = Path.Combine(Path.GetDirectoryName(assembly)!, Path.GetFileNameWithoutExtension(assembly));
        var start = File.Exists(launcher)
            ? new ProcessStartInfo(launcher)
            : new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { ArgumentList = { "exec", assembly } };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.UseShellExecute = false;
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = Directory.GetCurrentDirectory();
        return start;
    }
}
