using NUnit.Framework;
using PeftBench.Core.Tasks;
using PeftBench.Tasks;
using PeftBench.Tasks.Readers;
using PeftBench.Tasks.Vision;

namespace PeftBench.Tests.Tasks;

/// <summary>
/// The vision readers on the committed fixture files (tests/fixtures/vision, written byte by byte in each format's own
/// layout; see its README) and their errors on bad input; the image-folder task source end to end on a temporary
/// <c>--data-dir</c>.
/// </summary>
public sealed class VisionReaderTests
{
    private static string Fixtures => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "vision");
    private string dir = "";

    [SetUp] public void MakeFolder() => dir = Directory.CreateTempSubdirectory("vision-").FullName;
    [TearDown] public void RemoveFolder() => Directory.Delete(dir, recursive: true);

    private static byte[] Plane(ImageExample e, int channel) => e.Pixels.Skip(channel * e.Height * e.Width).Take(e.Height * e.Width).ToArray();

    [Test]
    public void ImageFolderDecodesPngAndJpegWithClassesInFolderOrder()
    {
        var (classes, images) = ImageFolder.Read(Path.Combine(Fixtures, "folder"));
        Assert.That(classes, Is.EqualTo(new[] { "a_grey", "b_colour" }));
        Assert.That(images.Select(e => e.Label), Is.EqualTo(new[] { 0f, 0f, 1f, 1f }), "files in name order within a class: 0.png, 1.jpg");

        var greyPng = images[0];
        Assert.That((greyPng.Channels, greyPng.Height, greyPng.Width), Is.EqualTo((1, 2, 3)));
        Assert.That(greyPng.Pixels, Is.EqualTo(new byte[] { 0, 50, 100, 150, 200, 250 }), "lossless: exact, row-major");

        var greyJpeg = images[1];
        Assert.That((greyJpeg.Channels, greyJpeg.Height, greyJpeg.Width), Is.EqualTo((1, 8, 8)));
        Assert.That(greyJpeg.Pixels, Has.All.InRange((byte)119, (byte)121));

        var rgbPng = images[2];
        Assert.That((rgbPng.Channels, rgbPng.Height, rgbPng.Width), Is.EqualTo((3, 2, 2)));
        Assert.That(Plane(rgbPng, 0), Is.EqualTo(new byte[] { 255, 0, 0, 10 }), "red plane first (channels first)");
        Assert.That(Plane(rgbPng, 1), Is.EqualTo(new byte[] { 0, 255, 0, 20 }));
        Assert.That(Plane(rgbPng, 2), Is.EqualTo(new byte[] { 0, 0, 255, 30 }));

        // Y 150, Cb 100, Cr 180 → R 222.9, G 122.5, B 100.4 by JFIF's conversion.
        var rgbJpeg = images[3];
        Assert.That((rgbJpeg.Channels, rgbJpeg.Height, rgbJpeg.Width), Is.EqualTo((3, 8, 8)));
        Assert.That(Plane(rgbJpeg, 0), Has.All.InRange((byte)221, (byte)225));
        Assert.That(Plane(rgbJpeg, 1), Has.All.InRange((byte)120, (byte)125));
        Assert.That(Plane(rgbJpeg, 2), Has.All.InRange((byte)98, (byte)103));
    }

    [Test]
    public void ImageFolderErrorsNameTheFileAndTheFix()
    {
        Assert.That(() => ImageFolder.Read(dir), Throws.TypeOf<InvalidDataException>().With.Message.Contains("no class sub-folders"));
        Directory.CreateDirectory(Path.Combine(dir, "cat"));
        File.WriteAllText(Path.Combine(dir, "cat", "notes.txt"), "not an image");
        Assert.That(() => ImageFolder.Read(dir), Throws.TypeOf<InvalidDataException>().With.Message.Contains("holds no .png, .jpg or .jpeg"));
        var broken = Path.Combine(dir, "cat", "broken.png");
        File.WriteAllBytes(broken, [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        Assert.That(() => ImageFolder.Read(dir), Throws.TypeOf<InvalidDataException>().With.Message.Contains(broken));
        File.Delete(broken);
        File.Copy(Path.Combine(Fixtures, "folder", "a_grey", "0.png"), Path.Combine(dir, "cat", "0.png"));
        Assert.That(ImageFolder.Read(dir).Images, Has.Count.EqualTo(1), "non-image files are skipped");
        Assert.That(() => ImageFolder.Read(dir, ["cat", "dog"]), Throws.TypeOf<InvalidDataException>().With.Message.Contains("same class folders"));
        Assert.That(() => ImageFolder.Read(Path.Combine(dir, "nowhere")), Throws.TypeOf<DirectoryNotFoundException>());
    }

    [Test]
    public void CifarBinaryReadsBothVariants()
    {
        var ten = CifarBinary.Read(Path.Combine(Fixtures, "cifar10-2.bin"), CifarBinary.Variant.Cifar10);
        Assert.That(ten.Select(e => e.Label), Is.EqualTo(new[] { 3f, 9f }));
        Assert.That(ten.All(e => e.Channels == 3 && e.Height == 32 && e.Width == 32), Is.True);
        for (int i = 0; i < 2; i++)
            for (int c = 0; c < 3; c++)
                Assert.That(Plane(ten[i], c), Is.EqualTo(Enumerable.Range(0, 1024).Select(p => (byte)(10 * i + 40 * c + p % 7)).ToArray()), $"record {i} channel {c}");

        var fine = CifarBinary.Read(Path.Combine(Fixtures, "cifar100-2.bin"), CifarBinary.Variant.Cifar100Fine);
        Assert.That(fine.Select(e => e.Label), Is.EqualTo(new[] { 72f, 99f }));
        Assert.That(fine[1].Pixels, Is.EqualTo(ten[1].Pixels), "same pixels after two label bytes");
        Assert.That(CifarBinary.Read(Path.Combine(Fixtures, "cifar100-2.bin"), CifarBinary.Variant.Cifar100Coarse).Select(e => e.Label), Is.EqualTo(new[] { 4f, 19f }));
    }

    [Test]
    public void CifarBinaryRefusesTheWrongVariantAndBadLabels()
    {
        Assert.That(() => CifarBinary.Read(Path.Combine(Fixtures, "cifar10-2.bin"), CifarBinary.Variant.Cifar100Fine),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("3074-byte").And.Message.Contains("fits CIFAR-10"));
        var bytes = File.ReadAllBytes(Path.Combine(Fixtures, "cifar10-2.bin"));
        bytes[3073] = 10;
        File.WriteAllBytes(Path.Combine(dir, "bad.bin"), bytes);
        Assert.That(() => CifarBinary.Read(Path.Combine(dir, "bad.bin"), CifarBinary.Variant.Cifar10),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("record 1").And.Message.Contains("label 10"));
    }

    [Test]
    public void IdxPairBecomesGreyImages()
    {
        var images = IdxImageSource.Read(Fixtures, "train");
        Assert.That(images.Select(e => e.Label), Is.EqualTo(new[] { 0f, 1f, 2f }));
        Assert.That(images.All(e => e.Channels == 1 && e.Height == 2 && e.Width == 2), Is.True);
        Assert.That(images[1].Pixels, Is.EqualTo(new byte[] { 80, 100, 120, 140 }));
    }

    [Test]
    public void DigitsCsvScalesCountsToGreyLevels()
    {
        var row = string.Join(",", Enumerable.Range(0, 64).Select(i => i % 17)) + ",7";
        File.WriteAllText(Path.Combine(dir, "digits.csv"), row + "\n" + row.Replace(",7", ",0", StringComparison.Ordinal) + "\n");
        var images = DigitsSource.ReadCsv(Path.Combine(dir, "digits.csv"));
        Assert.That(images.Select(e => e.Label), Is.EqualTo(new[] { 7f, 0f }));
        Assert.That((images[0].Height, images[0].Width, images[0].Channels), Is.EqualTo((8, 8, 1)));
        Assert.That(images[0].Pixels.Take(17), Is.EqualTo(Enumerable.Range(0, 17).Select(v => (byte)Math.Round(v * 255 / 16.0, MidpointRounding.AwayFromZero))));
        File.WriteAllText(Path.Combine(dir, "bad.csv"), "1,2,3\n");
        Assert.That(() => DigitsSource.ReadCsv(Path.Combine(dir, "bad.csv")), Throws.TypeOf<InvalidDataException>().With.Message.Contains("bad.csv:1"));
    }

    [Test]
    public void ImageFolderTaskChecksItsLayoutAndSplits800And200()
    {
        var task = TaskCatalog.Create().Get("vision/eurosat");
        Assert.That(task.Group, Is.EqualTo(VisionSuite.Specialized));
        Assert.That(task.Data.Check(new DataOptions(null)).Single(), Does.Contain("no embedded data").And.Contain("vtab/eurosat/train"));
        Assert.That(task.Data.Check(new DataOptions(dir)).Single(), Does.Contain("does not exist").And.Contain("AnnualCrop"));

        // 101 train and 3 test images per class, copies of one fixture PNG.
        var png = Path.Combine(Fixtures, "folder", "a_grey", "0.png");
        foreach (var (split, count) in new[] { ("train", 101), ("test", 3) })
            foreach (var label in PeftBench.Tasks.Vision.Tasks.EuroSat.Labels)
            {
                var folder = Directory.CreateDirectory(Path.Combine(dir, "vtab", "eurosat", split, label)).FullName;
                for (int i = 0; i < count; i++) File.Copy(png, Path.Combine(folder, $"{i:000}.png"));
            }
        Directory.CreateDirectory(Path.Combine(dir, "vtab", "eurosat", "test", "Clouds"));
        Assert.That(task.Data.Check(new DataOptions(dir)).Single(), Does.Contain("Clouds"));
        Directory.Delete(Path.Combine(dir, "vtab", "eurosat", "test", "Clouds"));
        Assert.That(task.Data.Check(new DataOptions(dir)), Is.Empty);

        var data = task.Data.Load(new DataOptions(dir));
        Assert.That(data.Train, Has.Count.EqualTo(800));
        Assert.That(data.Evaluation["val"], Has.Count.EqualTo(200));
        Assert.That(data.Evaluation["test"], Has.Count.EqualTo(30));
        Assert.That(data.Evaluation["val"].GroupBy(e => e.Label).Select(g => g.Count()), Has.All.EqualTo(20), "val200 stratified");
    }
}
