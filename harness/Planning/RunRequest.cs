namespace PeftBench.Harness.Planning;

/// <summary>What the user asked for on the command line, before validation. Lists accept globs.</summary>
public sealed record RunRequest
{
    public string? Suite { get; init; }
    public IReadOnlyList<string> Tasks { get; init; } = Array.Empty<string>();
    /// <summary>Backbones; empty means the suite's default models (tiny-bert when the suite names none).</summary>
    public IReadOnlyList<string> Models { get; init; } = Array.Empty<string>();
    /// <summary>Empty: the suite's default methods (glue: the six foundation methods; ci: every registered one), or all without a suite.</summary>
    public IReadOnlyList<string> Methods { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Budgets { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Seeds { get; init; } = Array.Empty<string>();
    /// <summary>Null: the suite's default profile, else <c>default</c>.</summary>
    public string? Profile { get; init; }
    public string Device { get; init; } = "cpu";
    /// <summary><c>--devices cuda:0,cuda:1</c>: one worker process per entry (entries may repeat: <c>cpu,cpu</c>); empty for one process.</summary>
    public IReadOnlyList<string> Devices { get; init; } = Array.Empty<string>();
    /// <summary><c>fp32</c> (default) or <c>bf16</c>; see <see cref="Planning.Precision"/> for exactly what bf16 does.</summary>
    public string Precision { get; init; } = "fp32";
    /// <summary>Null: the suite's pinned count, else every core (split between workers with <see cref="Devices"/>).</summary>
    public int? Threads { get; init; }
    public string? Out { get; init; }
    public bool Force { get; init; }
    public string? DataDir { get; init; }
    /// <summary>Save each trained cell's adapter in peft's layout under RUN/adapters/CELL-KEY (methods that have one).</summary>
    public bool SaveAdapters { get; init; }
    /// <summary><c>i/n</c>: run only the i-th of n deterministic slices of the matrix (1-based); null runs it all.</summary>
    public string? Shard { get; init; }
    /// <summary>
    /// <c>--augment</c>: random augmentation of image and audio training batches (flip and translation; SpecAugment),
    /// recorded in those cells' keys and results; text cells are unaffected. Off by default.
    /// </summary>
    public bool Augment { get; init; }
    /// <summary>
    /// <c>--train-on-inputs</c>: generation tasks take the loss on the prompt's tokens as well as the response's (off by
    /// default: response tokens only). Recorded in those cells' keys and results, since it changes method rankings.
    /// </summary>
    public bool TrainOnInputs { get; init; }
    /// <summary><c>method.setting=value</c> overrides (<c>lora.rank=16</c>, <c>*.learning_rate=1e-3</c>).</summary>
    public IReadOnlyList<string> Settings { get; init; } = Array.Empty<string>();
}
