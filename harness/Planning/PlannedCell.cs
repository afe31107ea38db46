using System.Text.Json.Nodes;
using PeftBench.Core.Methods;
using PeftBench.Core.Tasks;

namespace PeftBench.Harness.Planning;

/// <summary>
/// One (task, model, method, resolved config, budget, seed, recipe, device, threads, precision) with its key.
/// <see cref="Device"/> is the device in the key; <see cref="RunsOn"/> is where it actually runs, which differs only in
/// a multi-device run: there the key names the devices' kind (<c>cuda</c>) so that any worker can take the cell, and
/// each worker runs it on its own GPU (<c>cuda:1</c>), recorded in the provenance.
/// </summary>
public sealed record PlannedCell(
    string Key,
    TaskSpec Task,
    IBackboneSource Model,
    IPeftMethod Method,
    MethodConfig Config,
    BudgetFit? Budget,
    long Seed,
    Profile Profile,
    string Device,
    int Threads,
    DataOptions Data,
    Precision Precision,
    JsonObject Identity)
{
    /// <summary>Set when the method cannot apply to this backbone: the cell is recorded with this reason, not run.</summary>
    public string? NotApplicable { get; init; }
    public string RunsOn { get; init; } = Device;
    /// <summary><c>--augment</c>: random training augmentation for image and audio cells (part of their key); text cells have none.</summary>
    public bool Augment { get; init; }
    /// <summary><c>--train-on-inputs</c>: generation cells take the loss on prompt tokens too (part of their key); other cells ignore it.</summary>
    public bool TrainOnInputs { get; init; }

    public string Label =>
        $"{Task.Id} · {Model.Id} · {Method.Id}{(Method.Knob is { } k ? $" {k.Name}={Method.KnobValue(Config)}" : "")}{(Budget is null ? "" : $" @{Budget.Budget.Spec}")} · seed {Seed}";
}

/// <summary>The validated matrix: every cell, and where the results go.</summary>
public sealed record RunPlan(string OutputDirectory, Profile Profile, IReadOnlyList<PlannedCell> Cells, string? Suite)
{
    /// <summary>
    /// <c>--devices</c>: one worker process per entry pulls the cells (<see cref="Running.WorkerPool"/>); empty for the
    /// usual single process, which runs the cells itself on the cells' device.
    /// </summary>
    public IReadOnlyList<string> WorkerDevices { get; init; } = [];
}
