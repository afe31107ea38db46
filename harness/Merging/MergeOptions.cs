using System.Globalization;
using System.Text.Json.Nodes;
using PeftBench.Core.Catalogs;

namespace PeftBench.Harness.Merging;

/// <summary>The operations of the merge step, by id.</summary>
public static class MergeOps
{
    /// <summary>ComPEFT (Yadav et al., arXiv 2311.13171): top-k sparsification and ternarisation of one cell's update.</summary>
    public const string Compeft = "compeft";
    /// <summary>Model Breadcrumbs (Davari &amp; Belilovsky, ECCV 2024): drop outliers and small entries; one cell, and tasks merged.</summary>
    public const string Breadcrumbs = "breadcrumbs";
    /// <summary>Task arithmetic (Ilharco et al., ICLR 2023): θ = θ₀ + λ Σₜ τₜ over tasks of the same model, method and seed.</summary>
    public const string TaskArithmetic = "task-arithmetic";

    public static readonly IReadOnlyList<string> All = [Compeft, Breadcrumbs, TaskArithmetic];

    /// <summary>The ops named in <paramref name="names"/>; an unknown name is an error that suggests the nearest ids.</summary>
    public static IReadOnlyList<string> Parse(IEnumerable<string> names, List<string> problems)
    {
        var ops = new List<string>();
        foreach (var raw in names.SelectMany(n => n.Split(',')).Select(n => n.Trim().ToLowerInvariant()).Where(n => n.Length > 0))
        {
            if (All.Contains(raw)) { if (!ops.Contains(raw)) ops.Add(raw); continue; }
            var near = All.Select(id => (id, d: Catalog<string>.Levenshtein(raw, id))).Where(x => x.d <= Math.Max(2, raw.Length / 3))
                .OrderBy(x => x.d).Select(x => $"'{x.id}'").ToList();
            problems.Add($"unknown op '{raw}'.{(near.Count > 0 ? $" Did you mean {string.Join(" or ", near)}?" : "")} Known: {string.Join(", ", All)}.");
        }
        if (ops.Count == 0 && problems.Count == 0) problems.Add($"--ops names no operation. Known: {string.Join(", ", All)}.");
        return ops;
    }
}

/// <summary>
/// What the merge step does. Defaults: densities 5–100 %; ComPEFT's α over 0.5–10 (the paper tunes α on validation
/// data; its exact grid is not in the released code, whose scripts take one <c>replace_factor</c> per run [U]); λ over
/// Ilharco et al.'s 0.1–1.0, extended to 2 so that a masked single update may also be scaled up; ComPEFT's top-k and σ
/// over the whole update, as its released code flattens all PEFT parameters into one vector (<c>tensor</c>: per tensor).
/// Breadcrumbs: the released code (rezazzr/breadcrumbs, <c>TaskVectorMiddleKeep</c>) takes the fraction removed from the
/// top (<c>gamma</c>) and the fraction kept (<c>beta</c>), both defaulting to 0 there; here γ = 1 % (mergekit's default
/// for its <c>breadcrumbs</c> merge) and the kept fraction is the density, so density 0.1 drops the bottom 89 %. The
/// released code ranks magnitudes along each tensor's last dimension (per row); this ranks per tensor, the paper's
/// "layer-wise" masking [U: the paper's recommended β, γ were not checked against its text].
/// </summary>
public sealed record MergeOptions
{
    public IReadOnlyList<string> Ops { get; init; } = MergeOps.All;
    public IReadOnlyList<double> Densities { get; init; } = [0.05, 0.1, 0.2, 0.5, 1.0];
    public IReadOnlyList<double> Alphas { get; init; } = [0.5, 1, 2, 3, 4, 5, 6, 8, 10];
    public IReadOnlyList<double> Lambdas { get; init; } = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.5, 2.0];
    /// <summary>Breadcrumbs' γ: the fraction of largest magnitudes dropped as outliers, per tensor.</summary>
    public double OutlierFraction { get; init; } = 0.01;
    /// <summary><c>model</c> (one top-k and one σ over the whole update, as ComPEFT's code) or <c>tensor</c> (per tensor).</summary>
    public string CompeftScope { get; init; } = "model";
    /// <summary>Rows of the training split the scales are chosen on.</summary>
    public int SelectionExamples { get; init; } = 512;
    /// <summary>The run's <c>--data-dir</c>; null for the embedded data.</summary>
    public string? DataDir { get; init; }
    /// <summary>Where to evaluate; null: the device each cell ran on.</summary>
    public string? Device { get; init; }
    /// <summary>Only cells of these methods (exact ids); empty: all.</summary>
    public IReadOnlyList<string> Methods { get; init; } = [];

    public IEnumerable<string> Validate()
    {
        if (Densities.Count == 0 || Densities.Any(d => d is <= 0 or > 1)) yield return "--densities must be fractions in (0, 1] (1 = no compression).";
        if (Alphas.Count == 0 || Alphas.Any(a => a <= 0 || !double.IsFinite(a))) yield return "--alphas must be positive numbers.";
        if (Lambdas.Count == 0 || Lambdas.Any(a => a <= 0 || !double.IsFinite(a))) yield return "--lambdas must be positive numbers.";
        if (OutlierFraction is < 0 or >= 1) yield return "--outliers must be a fraction in [0, 1).";
        if (CompeftScope is not ("model" or "tensor")) yield return $"--compeft-scope must be 'model' or 'tensor' (got '{CompeftScope}').";
        if (SelectionExamples < 1) yield return "--selection-examples must be at least 1.";
    }

    public JsonObject ToJson() => new()
    {
        ["ops"] = new JsonArray(Ops.Select(o => (JsonNode)o).ToArray()),
        ["densities"] = Numbers(Densities),
        ["alphas"] = Numbers(Alphas),
        ["lambdas"] = Numbers(Lambdas),
        ["outlier_fraction"] = OutlierFraction,
        ["compeft_scope"] = CompeftScope,
        ["selection_examples"] = SelectionExamples,
        ["data_dir"] = DataDir,
        ["methods"] = new JsonArray(Methods.Select(m => (JsonNode)m).ToArray()),
    };

    private static JsonArray Numbers(IEnumerable<double> xs) => new(xs.Select(x => (JsonNode)x).ToArray());

    /// <summary>Parses <c>0.05,0.1</c> (invariant culture); an unparsable entry is reported with the option's name.</summary>
    public static IReadOnlyList<double> ParseList(string? text, string option, IReadOnlyList<double> fallback, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        var values = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) values.Add(v);
            else problems.Add($"{option}: '{part}' is not a number (use a dot for decimals: 0.05).");
        }
        return values;
    }
}
