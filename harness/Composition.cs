using PeftBench.Core.Catalogs;
using PeftBench.Core.Methods;
using PeftBench.Core.Tasks;
using PeftBench.Harness.Planning;
using PeftBench.Methods;
using PeftBench.Tasks;

namespace PeftBench.Harness;

/// <summary>
/// The composition root: the frozen catalogs and the model opener, built once per process and passed down
/// (no static registries).
/// </summary>
public sealed class Composition
{
    private readonly Dictionary<string, IBackboneSource> openedModels = new();

    /// <summary>Settable for tests that run a task of their own through the real planner and runner.</summary>
    public Catalog<TaskSpec> Tasks { get; init; } = TaskCatalog.Create();
    public Catalog<IPeftMethod> Methods { get; } = MethodCatalog.Create();
    public IReadOnlyDictionary<string, Suite> Suites { get; } = PeftBench.Tasks.Suites.Definitions().ToDictionary(s => s.Id, StringComparer.Ordinal);

    public PlanningContext PlanningContext() => new(Tasks, Methods, Suites, OpenModel);

    /// <summary>Opens a model by zoo id or folder path once per process.</summary>
    public IBackboneSource OpenModel(string idOrPath)
    {
        if (!openedModels.TryGetValue(idOrPath, out var source))
            openedModels[idOrPath] = source = ZooBackboneSource.Open(idOrPath);
        return source;
    }

    public IEnumerable<ZooModelDescription> ModelDescriptions() => ZooBackboneSource.Describe();
}
