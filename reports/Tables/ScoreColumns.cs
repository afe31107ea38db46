using System.Globalization;
using PeftBench.Reports.Aggregation;
using PeftBench.Reports.Significance;

namespace PeftBench.Reports.Tables;

/// <summary>
/// One score before formatting: its statistics over seeds, the per-seed values a paired t-test pairs up, and the
/// per-example scores a paired bootstrap resamples. <see cref="Missing"/> is the cell shown when there is no score.
/// </summary>
public sealed record ScoreEntry(
    SampleStats? Stats,
    IReadOnlyDictionary<long, double> PerSeed,
    IReadOnlyDictionary<long, ExampleScores> Examples,
    TableCell? Missing = null,
    int? Footnote = null)
{
    public static ScoreEntry None(TableCell missing) => new(null, new Dictionary<long, double>(), new Dictionary<long, ExampleScores>(), missing);
}

/// <summary>A column of scores, one entry per row, and which way is better.</summary>
public sealed record ScoreColumn(bool HigherIsBetter, IReadOnlyList<ScoreEntry> Entries);

/// <summary>Which tests marked anything, for the caption.</summary>
public sealed record SignificanceUse(bool TTest, bool Bootstrap, string? BootstrapMetric);

/// <summary>
/// Formats score columns the same way in every layout: <c>mean ± std</c> (×scale), best of each column bold and the
/// second best underlined (on the displayed means, ties share; needs 2 and 3 distinct rows with a score), and the
/// significance marks against the column's best row or the reference method:
/// † no significant difference by a paired test over seeds (t-test, or Wilcoxon when chosen), ‡ none by a paired
/// bootstrap over examples.
/// </summary>
public static class ScoreColumns
{
    public const string TMark = "†";
    public const string BootstrapMark = "‡";

    /// <returns>cells[column][row].</returns>
    public static List<List<TableCell>> Format(IReadOnlyList<ScoreColumn> columns, IReadOnlyList<string?> rowMethods,
        double scale, SignificanceOptions significance, out SignificanceUse use)
    {
        bool anyT = false, anyBootstrap = false;
        string? bootstrapMetric = null;
        var result = new List<List<TableCell>>();
        foreach (var column in columns)
        {
            var displayed = column.Entries.Select(e => e.Stats is null ? (double?)null : Displayed(e.Stats, scale)).ToList();
            var distinct = displayed.OfType<double>().Distinct().ToList();
            var ordered = column.HigherIsBetter ? distinct.OrderDescending().ToList() : distinct.Order().ToList();
            var scored = displayed.Count(v => v.HasValue);
            double? best = scored >= 2 ? ordered[0] : null;
            double? second = scored >= 3 && ordered.Count >= 2 ? ordered[1] : null;
            var reference = ReferenceRow(column, displayed, best, rowMethods, significance.Reference);

            var cells = new List<TableCell>();
            for (var r = 0; r < column.Entries.Count; r++)
            {
                var e = column.Entries[r];
                if (e.Stats is null) { cells.Add(e.Missing ?? new TableCell("—")); continue; }
                var marks = "";
                // Against the best, a cell tied with it is bold already: marks are for the rows below it.
                if (reference is { } refRow && refRow != r && (significance.Reference is not null || displayed[r] != best))
                {
                    var against = column.Entries[refRow];
                    if (TestOverSeeds(e, against, significance.SeedTest) is { } t)
                    {
                        anyT = true;
                        if (!t.SignificantAt(significance.Alpha)) marks += TMark;
                    }
                    if (Bootstrap(e, against, significance) is { } b)
                    {
                        anyBootstrap = true;
                        bootstrapMetric ??= e.Examples.Values.First().Metric;
                        if (!b.SignificantAt(significance.Alpha)) marks += BootstrapMark;
                    }
                }
                cells.Add(new TableCell(Formats.MeanStd(e.Stats, scale), Best: displayed[r] == best, Footnote: e.Footnote)
                {
                    Second = displayed[r] == second,
                    Marks = marks,
                    Stat = Stat(e.Stats, scale),
                });
            }
            result.Add(cells);
        }
        use = new SignificanceUse(anyT, anyBootstrap, bootstrapMetric);
        return result;
    }

    /// <summary>The caption's sentence on bold, underline and marks.</summary>
    public static string Legend(SignificanceUse use, SignificanceOptions options)
    {
        var against = options.Reference is { } r ? $"{r} (the reference)" : "the best of its column";
        var alpha = options.Alpha.ToString("0.###", CultureInfo.InvariantCulture);
        var text = "Best per column in bold, second underlined.";
        if (use.TTest)
            text += $" {TMark}: not significantly different from {against} at p < {alpha} (two-sided " +
                    $"{(options.SeedTest == SeedTest.Wilcoxon ? "exact " + WilcoxonSignedRank.Name : PairedTTest.Name)} over seeds).";
        if (use.Bootstrap)
            text += $" {BootstrapMark}: not significantly different from {against} at p < {alpha} ({PairedBootstrap.Name} of {use.BootstrapMetric}, " +
                    $"{options.BootstrapResamples} resamples, seed {options.BootstrapSeed}).";
        if (!use.TTest && !use.Bootstrap) text += " No significance test: fewer than two paired seeds.";
        else text += " No mark where a test cannot run (fewer than two paired seeds; no per-example scores).";
        return text;
    }

    public static CellStat Stat(SampleStats s, double scale) =>
        new(Formats.DisplayedMean(s, scale),
            s.Std is { } sd ? Formats.Fixed(sd * scale, 1) : null,
            s.Ci95HalfWidth is { } ci ? Formats.Fixed(ci * scale, 1) : null);

    static double Displayed(SampleStats s, double scale) =>
        double.Parse(Formats.DisplayedMean(s, scale), CultureInfo.InvariantCulture);

    /// <summary>The reference method's row when it has a score, else the first best row; null when nothing to compare.</summary>
    static int? ReferenceRow(ScoreColumn column, List<double?> displayed, double? best, IReadOnlyList<string?> rowMethods, string? reference)
    {
        if (reference is not null)
        {
            for (var r = 0; r < rowMethods.Count; r++)
                if (rowMethods[r] == reference && column.Entries[r].Stats is not null) return r;
            return null;
        }
        if (best is null) return null;
        var i = displayed.IndexOf(best);
        return i < 0 ? null : i;
    }

    static TestResult? TestOverSeeds(ScoreEntry a, ScoreEntry b, SeedTest test)
    {
        var seeds = a.PerSeed.Keys.Intersect(b.PerSeed.Keys).Order().ToList();
        if (seeds.Count < 2) return null;
        var xs = seeds.Select(s => a.PerSeed[s]).ToList();
        var ys = seeds.Select(s => b.PerSeed[s]).ToList();
        return test == SeedTest.Wilcoxon && seeds.Count <= WilcoxonSignedRank.MaxPairs
            ? WilcoxonSignedRank.Test(xs, ys)
            : PairedTTest.Test(xs, ys);
    }

    static TestResult? Bootstrap(ScoreEntry a, ScoreEntry b, SignificanceOptions options)
    {
        var seeds = a.Examples.Keys.Intersect(b.Examples.Keys).Order()
            .Where(s => a.Examples[s].Split == b.Examples[s].Split && a.Examples[s].Metric == b.Examples[s].Metric)
            .ToList();
        if (seeds.Count == 0) return null;
        return PairedBootstrap.Test(seeds.Select(s => (IReadOnlyList<double>)a.Examples[s].Values).ToList(),
            seeds.Select(s => (IReadOnlyList<double>)b.Examples[s].Values).ToList(), options.BootstrapResamples, options.BootstrapSeed);
    }
}
