using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Vision.Tasks;

/// <summary>
/// Specialized, real data only: EuroSAT RGB (Helber et al., 2019), Sentinel-2 land cover in 10 classes, as image
/// folders in <c>--data-dir</c>/vtab/eurosat/{train,test}/&lt;class&gt;/*.jpg (EuroSAT has no official split: put a
/// test split of your choice in test/). Not in the default suite: no remote-sensing images are served here.
/// </summary>
public static class EuroSat
{
    public const string Id = "vision/eurosat";

    public static readonly string[] Labels =
        ["AnnualCrop", "Forest", "HerbaceousVegetation", "Highway", "Industrial", "Pasture", "PermanentCrop", "Residential", "River", "SeaLake"];

    public static TaskSpec Create() => VisionSuite.Task(Id, 1, "EuroSAT: land-cover class of a satellite image, VTAB-1k protocol (accuracy; --data-dir only).",
        VisionSuite.Specialized, Labels, new ImageFolderSource(Id, "eurosat", Labels));
}
