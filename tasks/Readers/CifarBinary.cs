using PeftBench.Core.Tasks;

namespace PeftBench.Tasks.Readers;

/// <summary>
/// The binary version of CIFAR-10 and CIFAR-100 (Krizhevsky, 2009; https://www.cs.toronto.edu/~kriz/cifar.html):
/// fixed-size records, no header. CIFAR-10: 1 label byte (0–9) then 3,072 pixel bytes; CIFAR-100: a coarse label byte
/// (0–19), a fine label byte (0–99), then 3,072 pixel bytes. The pixels are the red, green and blue 32 × 32 planes in
/// row-major order, which is already the channels-first layout of <see cref="ImageExample"/>.
/// </summary>
public static class CifarBinary
{
    public const int Side = 32;
    public const int PixelBytes = 3 * Side * Side;

    public enum Variant { Cifar10, Cifar100Fine, Cifar100Coarse }

    public static int LabelBytes(Variant v) => v == Variant.Cifar10 ? 1 : 2;
    public static int Classes(Variant v) => v switch { Variant.Cifar10 => 10, Variant.Cifar100Fine => 100, _ => 20 };

    public static IReadOnlyList<ImageExample> Read(string path, Variant variant)
    {
        var bytes = File.ReadAllBytes(path);
        int record = LabelBytes(variant) + PixelBytes;
        if (bytes.Length == 0 || bytes.Length % record != 0)
        {
            var other = variant == Variant.Cifar10 ? "CIFAR-100 (3,074-byte records)" : "CIFAR-10 (3,073-byte records)";
            var hint = bytes.Length > 0 && bytes.Length % (variant == Variant.Cifar10 ? PixelBytes + 2 : PixelBytes + 1) == 0 ? $" Its size fits {other}: wrong file for this task?" : "";
            throw new InvalidDataException($"{path}: {bytes.Length} bytes is not a whole number of {record}-byte {variant} records " +
                $"({LabelBytes(variant)} label byte(s) + {PixelBytes} pixel bytes). Use the 'binary version' download, not the Python or MATLAB one.{hint}");
        }
        int classes = Classes(variant), count = bytes.Length / record;
        var examples = new ImageExample[count];
        for (int i = 0; i < count; i++)
        {
            int at = i * record;
            int label = variant == Variant.Cifar100Fine ? bytes[at + 1] : bytes[at];
            if (label >= classes)
                throw new InvalidDataException($"{path}: record {i} (byte offset {at}) has label {label}, outside 0–{classes - 1} for {variant}: wrong variant or a corrupt file.");
            examples[i] = new ImageExample(bytes.AsSpan(at + LabelBytes(variant), PixelBytes).ToArray(), 3, Side, Side, label);
        }
        return examples;
    }
}
