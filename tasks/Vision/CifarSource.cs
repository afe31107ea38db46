using PeftBench.Core.Tasks;
using PeftBench.Tasks.Readers;

namespace PeftBench.Tasks.Vision;

/// <summary>
/// CIFAR-10 or CIFAR-100 from the official binary download in <c>--data-dir</c>: <c>cifar-10-batches-bin/</c>
/// (data_batch_1…5.bin, test_batch.bin) or <c>cifar-100-binary/</c> (train.bin, test.bin, fine labels). Not served
/// here, so there is no embedded default; the pool is drawn from the 50,000 training images, the test split is the
/// official 10,000.
/// </summary>
public sealed class CifarSource(string taskId, CifarBinary.Variant variant) : VisionDataSource(taskId)
{
    public string FolderName => variant == CifarBinary.Variant.Cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary";

    public IReadOnlyList<string> TrainFiles => variant == CifarBinary.Variant.Cifar10
        ? Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToList() : ["train.bin"];

    public string TestFile => variant == CifarBinary.Variant.Cifar10 ? "test_batch.bin" : "test.bin";

    private string Folder(DataOptions options) => Path.Combine(Path.GetFullPath(options.DataDirectory!), FolderName);

    public override string Describe(DataOptions options) =>
        options.DataDirectory is null ? $"{TaskId}: no embedded data" : $"CIFAR binary: {Folder(options)}";

    public override IEnumerable<string> Check(DataOptions options)
    {
        var hint = $"Pass --data-dir DIR with DIR/{FolderName}/ from the official 'binary version' download ({string.Join(", ", TrainFiles.Append(TestFile))}).";
        var dir = options.DataDirectory is null ? "" : Folder(options);
        if (DataDirOnly(options, dir, hint, "CIFAR is not served here") is { } problem) { yield return problem; yield break; }
        foreach (var name in TrainFiles.Append(TestFile))
            if (!File.Exists(Path.Combine(dir, name))) yield return $"'{Path.Combine(dir, name)}' does not exist. {hint}";
    }

    protected override (IReadOnlyList<ImageExample> Pool, IReadOnlyList<ImageExample> Test) PoolAndTest(DataOptions options)
    {
        var dir = Folder(options);
        var train = TrainFiles.SelectMany(f => CifarBinary.Read(Path.Combine(dir, f), variant)).ToList();
        return (DrawPool(train), CifarBinary.Read(Path.Combine(dir, TestFile), variant));
    }
}
