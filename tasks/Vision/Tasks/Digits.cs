using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Vision.Tasks;

/// <summary>
/// Natural: UCI handwritten digits (Alpaydin &amp; Kaynak, 1998; scikit-learn's copy), 8 × 8 grey, digits 0–9.
/// The VTAB-1k pool is 1,000 of the 1,797 images; the test split is the other 797 (<see cref="DigitsSource"/>).
/// </summary>
public static class Digits
{
    public const string Id = "vision/digits";

    public static TaskSpec Create() => VisionSuite.Task(Id, 1, "UCI digits: which digit an 8×8 scan shows, VTAB-1k protocol (accuracy).",
        VisionSuite.Natural, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], new DigitsSource(Id));
}
