namespace PeftBench.Tasks.Code;

/// <summary>Limits for one sandboxed run. Defaults follow human-eval's 3 s per program, with room for interpreter start-up.</summary>
public sealed record SandboxLimits
{
    public double WallSeconds { get; init; } = 5.0;
    /// <summary>Address-space limit (RLIMIT_AS). The interpreter itself needs some 30 MiB, so keep this ≥ 64 MiB.</summary>
    public long MemoryBytes { get; init; } = 512L << 20;
    /// <summary>Largest file the program may write (RLIMIT_FSIZE); a write past it fails with "File too large".</summary>
    public long FileBytes { get; init; } = 1L << 20;
    /// <summary>Bytes kept of each of stdout and stderr; the rest is read and thrown away so the program never blocks.</summary>
    public int OutputBytes { get; init; } = 64 << 10;
    /// <summary>Processes the sandbox user may own (RLIMIT_NPROC); enforced only where the program runs as an unprivileged user.</summary>
    public int Processes { get; init; } = 32;

    public IEnumerable<string> Validate()
    {
        if (!(WallSeconds > 0)) yield return $"sandbox WallSeconds must be > 0 (got {WallSeconds}).";
        if (MemoryBytes < 64L << 20) yield return $"sandbox MemoryBytes must be ≥ 64 MiB so python3 can start (got {MemoryBytes}).";
        if (FileBytes < 0) yield return $"sandbox FileBytes must be ≥ 0 (got {FileBytes}).";
        if (OutputBytes < 0) yield return $"sandbox OutputBytes must be ≥ 0 (got {OutputBytes}).";
        if (Processes < 1) yield return $"sandbox Processes must be ≥ 1 (got {Processes}).";
    }
}
