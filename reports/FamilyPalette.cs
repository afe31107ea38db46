using ScottPlot;

namespace PeftBench.Reports;

/// <summary>
/// Colours for method families in plots, by a family's index among those plotted. Category10 while ten suffice; a
/// full run now spans more families than that (baseline, selective, low-rank, …, hybrid, mixture, zeroth-order,
/// quantization), and Category10 would then repeat colours, so larger sets take Category20.
/// </summary>
public static class FamilyPalette
{
    public static IPalette For(int familyCount) =>
        familyCount <= 10 ? new ScottPlot.Palettes.Category10() : new ScottPlot.Palettes.Category20();
}
