using PeftBench.Core.Tasks;
using PeftBench.Tasks.Readers;

namespace PeftBench.Tasks.Vision.Tasks;

/// <summary>
/// Natural, real data only: CIFAR-100 (Krizhevsky, 2009), VTAB's first natural task, from the official binary files in
/// <c>--data-dir</c>/cifar-100-binary (fine labels; named by index, as the binary files carry no names). Not in the
/// default suite: CIFAR is not served here.
/// </summary>
public static class Cifar100
{
    public const string Id = "vision/cifar100";

    public static TaskSpec Create() => VisionSuite.Task(Id, 1, "CIFAR-100: fine class of a 32×32 colour photo, VTAB-1k protocol (accuracy; --data-dir only).",
        VisionSuite.Natural, Enumerable.Range(0, 100).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
        new CifarSource(Id, CifarBinary.Variant.Cifar100Fine));
}
