namespace PeftBench.Reports.Aggregation;

/// <summary>A table row: one method (at one budget) on one model. Seeds are what gets averaged away.</summary>
public sealed record MethodKey(string Model, string Method, string? Budget)
{
    public static MethodKey Of(CellSpec c) => new(c.Model, c.Method, c.Budget);
    public string Label => Budget is null ? Method : $"{Method} ({Budget})";
}

/// <summary>One aggregate: a method key on one task.</summary>
public sealed record GroupKey(string Task, string Model, string Method, string? Budget)
{
    public static GroupKey Of(CellSpec c) => new(c.Task, c.Model, c.Method, c.Budget);
    public MethodKey MethodKey => new(Model, Method, Budget);
}
