using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Vision.Tasks;

/// <summary>
/// Natural: Fashion-MNIST (Xiao, Rasul &amp; Vollgraf, 2017), 10 garment classes, 28 × 28 grey. Embedded: the
/// VTAB-1k pool drawn from train[50000:60000] (never tiny-vit's pretraining images, <see cref="DownstreamHoldout"/>) and
/// a stratified 2,000 of the official test set; with <c>--data-dir</c>: the official IDX files, full test set.
/// </summary>
public static class FashionMnist
{
    public const string Id = "vision/fashion-mnist";
    public const string Folder = "fashion-mnist";

    public static readonly string[] Labels = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static TaskSpec Create() => VisionSuite.Task(Id, 1, "Fashion-MNIST: garment class of a 28×28 grey photo, VTAB-1k protocol (accuracy).",
        VisionSuite.Natural, Labels, new IdxImageSource(Id, Folder, DownstreamHoldout.FashionMnistReservedStart));
}
