using System.Globalization;
using PeftBench.Reports.Aggregation;

namespace PeftBench.Reports.Tables;

/// <summary>Number formatting for tables, invariant culture throughout.</summary>
public static class Formats
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary><c>85.3 ± 0.4</c> (×scale, one decimal); just the mean when the std is unknown (one seed).</summary>
    public static string MeanStd(SampleStats s, double scale) =>
        s.Std is { } sd ? $"{Fixed(s.Mean * scale, 1)} ± {Fixed(sd * scale, 1)}" : Fixed(s.Mean * scale, 1);

    /// <summary>The mean as displayed, for deciding the best of a column on what the reader sees.</summary>
    public static string DisplayedMean(SampleStats s, double scale) => Fixed(s.Mean * scale, 1);

    public static string Fixed(double v, int decimals) => v.ToString("F" + decimals.ToString(Inv), Inv);

    /// <summary>Counts as 850, 36.9k, 1.43M, 2.1B.</summary>
    public static string Count(double n)
    {
        var a = Math.Abs(n);
        if (a < 1e3) return Fixed(n, 0);
        if (a < 1e6) return Significant(n / 1e3) + "k";
        if (a < 1e9) return Significant(n / 1e6) + "M";
        return Significant(n / 1e9) + "B";
    }

    /// <summary>A fraction as a percentage with enough decimals to tell small budgets apart: 100%, 1.25%, 0.271%, 0.0031%.</summary>
    public static string Percent(double fraction)
    {
        var p = fraction * 100;
        var a = Math.Abs(p);
        if (a >= 99.95) return Fixed(p, 0) + "%";
        if (a >= 10) return Fixed(p, 1) + "%";
        if (a >= 1) return Fixed(p, 2) + "%";
        if (a >= 0.01 || a == 0) return Fixed(p, 3) + "%";
        return p.ToString("G2", Inv) + "%";
    }

    /// <summary>A budget as a fraction of the backbone: <c>0.5%</c> → 0.005, <c>100k</c> → 1e5 / backbone; null when unknown.</summary>
    public static double? BudgetFraction(string budget, double? backbone)
    {
        var b = budget.Trim();
        if (b.EndsWith('%'))
            return double.TryParse(b[..^1], NumberStyles.Float, Inv, out var pct) ? pct / 100 : null;
        if (backbone is not > 0 || b.Length == 0) return null;
        var scale = char.ToLowerInvariant(b[^1]) switch { 'k' => 1e3, 'm' => 1e6, 'b' => 1e9, _ => 1.0 };
        var digits = scale == 1 ? b : b[..^1];
        return double.TryParse(digits, NumberStyles.Float, Inv, out var n) ? n * scale / backbone.Value : null;
    }

    static string Significant(double v) => Math.Abs(v) >= 100 ? Fixed(v, 0) : Math.Abs(v) >= 10 ? Fixed(v, 1) : Fixed(v, 2);

    /// <summary>Column header of a task: the usual GLUE spelling, else the id without its suite prefix.</summary>
    public static string TaskName(string task)
    {
        var name = task.Contains('/') ? task[(task.LastIndexOf('/') + 1)..] : task;
        return name switch
        {
            "cola" => "CoLA", "sst2" => "SST-2", "mrpc" => "MRPC", "stsb" => "STS-B", "qqp" => "QQP",
            "mnli" => "MNLI", "mnli_m" => "MNLI-m", "mnli_mm" => "MNLI-mm", "qnli" => "QNLI", "rte" => "RTE",
            "wnli" => "WNLI", "ax" => "AX",
            _ => name,
        };
    }

    public static string SuiteName(string suite) => suite switch
    {
        "glue" => "GLUE", "superglue" => "SuperGLUE", "vision" => "Vision",
        _ => suite,
    };

    /// <summary>Joins with commas and a final "and": a, b and c.</summary>
    public static string List(IReadOnlyList<string> items) => items.Count switch
    {
        0 => "",
        1 => items[0],
        _ => string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1],
    };
}
