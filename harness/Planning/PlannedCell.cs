using System.Text.Json.Nodes;
using PeftBench.Core.Methods;
using PeftBench.Core.Tasks;

namespace PeftBench.Harness.Planning;

/// <summary>One (task, model, method, resolved config, budget, seed, recipe, device) with its key.</summary>
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
    JsonObject Identity)
{
    /// <summary>Set when the method cannot apply to this backbone: the cell is recorded with this reason, not run.</summary>
    public string? NotApplicable { get; init; }

    public string Label =>
        $"{Task.Id} · {Model.Id} · {Method.Id}{(Method.Knob is { } k ? $" {k.Name}={Method.KnobValue(Config)}" : "")}{(Budget is null ? "" : $" @{Budget.Budget.Spec}")} · seed {Seed}";
}

/// <summary>The validated matrix: every cell, and where the results go.</summary>
public sealed record RunPlan(string OutputDirectory, Profile Profile, IReadOnlyList<PlannedCell> Cells, string? Suite);
