using System.Diagnostics;

namespace PeftBench.Harness.Probes;

/// <summary>Runs a machine tool (git, nvidia-smi) for a probe: its standard output, or null where it is missing or fails.</summary>
public static class ToolOutput
{
    public static string? Run(string file, string args)
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
