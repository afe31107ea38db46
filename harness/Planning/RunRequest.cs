namespace PeftBench.Harness.Planning;

/// <summary>What the user asked for on the command line, before validation. Lists accept globs.</summary>
public sealed record RunRequest
{
    public string? Suite { get; init; }
    public IReadOnlyList<string> Tasks { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Models { get; init; } = new[] { "tiny-bert" };
    public IReadOnlyList<string> Methods { get; init; } = new[] { "*" };
    public IReadOnlyList<string> Budgets { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Seeds { get; init; } = Array.Empty<string>();
    public string Profile { get; init; } = "default";
    public string Device { get; init; } = "cpu";
    public int? Threads { get; init; }
    public string? Out { get; init; }
    public bool Force { get; init; }
    public string? DataDir { get; init; }
    /// <summary>Save each trained cell's adapter in peft's layout under RUN/adapters/CELL-KEY (methods that have one).</summary>
    public bool SaveAdapters { get; init; }
    /// <summary><c>method.setting=value</c> overrides (<c>lora.rank=16</c>, <c>*.learning_rate=1e-3</c>).</summary>
    public IReadOnlyList<string> Settings { get; init; } = Array.Empty<string>();
}
