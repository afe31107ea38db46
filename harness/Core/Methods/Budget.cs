using System.Globalization;

namespace PeftBench.Core.Methods;

/// <summary>
/// A trainable-parameter budget: a fraction of the backbone's parameters (<c>0.1%</c>) or an absolute count
/// (<c>100k</c>, <c>1.5M</c>, <c>20000</c>). The head is not part of the budget.
/// </summary>
public sealed record Budget(string Spec, double? Fraction, long? Count)
{
    public long TargetFor(long backboneParameters) =>
        Count ?? (long)Math.Round(Fraction!.Value * backboneParameters);

    public override string ToString() => Spec;

    public static Budget Parse(string text)
    {
        var s = text.Trim();
        var inv = CultureInfo.InvariantCulture;
        if (s.EndsWith('%') && double.TryParse(s[..^1], NumberStyles.Float, inv, out var pct) && pct > 0 && pct <= 100)
            return new Budget(s, pct / 100.0, null);
        var multiplier = char.ToLowerInvariant(s.Length > 0 ? s[^1] : ' ') switch { 'k' => 1e3, 'm' => 1e6, 'b' => 1e9, _ => 1.0 };
        var number = multiplier == 1.0 ? s : s[..^1];
        if (double.TryParse(number, NumberStyles.Float, inv, out var v) && v * multiplier >= 1)
            return new Budget(s, null, (long)Math.Round(v * multiplier));
        throw new FormatException($"budget '{text}' is neither a percentage of the backbone (0.1%) nor a parameter count (100k, 1.5M, 20000).");
    }
}

/// <summary>The knob value chosen for a budget and what it achieves.</summary>
public sealed record BudgetFit(Budget Budget, long TargetParameters, int KnobValue, long AchievedParameters, MethodConfig Config)
{
    public double RelativeError => TargetParameters == 0 ? 0 : (double)(AchievedParameters - TargetParameters) / TargetParameters;
}

/// <summary>
/// Solves a method's knob for a budget. Trainable counts grow monotonically with every knob we register, so a
/// binary search finds the two values that bracket the target and the closer one wins. A budget is refused
/// when even the nearest value misses it by more than <see cref="MaxRelativeError"/> (e.g. rank 1 is already
/// too big), so a table never silently compares methods at very different sizes.
/// </summary>
public static class BudgetFitter
{
    public const double MaxRelativeError = 0.5;

    public static BudgetFit Fit(IPeftMethod method, Sites.SiteRegistry sites, MethodConfig config, Budget budget, long backboneParameters)
    {
        if (method.Knob is null) throw new InvalidOperationException($"{method.Id} has a fixed trainable count; it takes no budget.");
        var knob = method.KnobFor(sites, config) ?? method.Knob;
        if (knob.Min > knob.Max)
            throw new BudgetException($"{method.Id} cannot be applied to this model: no {knob.Name} fits (range {knob.Min}..{knob.Max}).");
        var target = budget.TargetFor(backboneParameters);
        long Count(int v) => method.CountTrainable(sites, method.WithKnob(config, v));
        int lo = knob.Min, hi = knob.Max;
        while (lo < hi)
        {
            var mid = lo + (hi - lo) / 2;
            if (Count(mid) < target) lo = mid + 1; else hi = mid;
        }
        var best = lo;
        if (lo > knob.Min && Math.Abs(Count(lo - 1) - target) <= Math.Abs(Count(lo) - target)) best = lo - 1;
        var fitted = method.WithKnob(config, best);
        var fit = new BudgetFit(budget, target, best, Count(best), fitted);
        if (Math.Abs(fit.RelativeError) > MaxRelativeError)
            throw new BudgetException(
                $"{method.Id} cannot meet budget {budget.Spec} (= {target:N0} parameters): the closest {knob.Name} = {best} " +
                $"gives {fit.AchievedParameters:N0} ({fit.RelativeError:+0%;-0%}). " +
                $"Choose a budget between {Count(knob.Min):N0} and {Count(knob.Max):N0} parameters for this model.");
        return fit;
    }
}

public sealed class BudgetException(string message) : Exception(message);
