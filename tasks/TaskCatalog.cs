using PeftBench.Core.Catalogs;
using PeftBench.Core.Tasks;

namespace PeftBench.Tasks;

/// <summary>Every registered task, one line each. Built once, frozen.</summary>
public static class TaskCatalog
{
    public static Catalog<TaskSpec> Create() => new("task", new TaskSpec[]
    {
    }, t => t.Id);
}
