namespace PeftBench.Tasks.Code.Mini;

/// <summary>
/// A value of the embedded language: an integer or a list of integers (no nesting, so every value is small and
/// comparable). Truth is "non-zero integer"; comparisons yield 1 or 0.
/// </summary>
public readonly record struct MiniValue
{
    private readonly long[]? items;

    private MiniValue(long number, long[]? items) { Number = number; this.items = items; }

    public static MiniValue Int(long number) => new(number, null);
    public static MiniValue List(IEnumerable<long> items) => new(0, items.ToArray());

    public bool IsList => items is not null;
    public long Number { get; }
    public IReadOnlyList<long> Items => items ?? throw new InvalidOperationException("not a list");

    public bool Equals(MiniValue other) =>
        IsList == other.IsList && (IsList ? items!.AsSpan().SequenceEqual(other.items!) : Number == other.Number);

    public override int GetHashCode() => IsList ? items!.Aggregate(17, (h, v) => h * 31 + v.GetHashCode()) : Number.GetHashCode();

    /// <summary>The form the language writes: <c>7</c>, <c>[1, 2, 3]</c>.</summary>
    public override string ToString() => IsList ? "[" + string.Join(", ", items!) + "]" : Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
