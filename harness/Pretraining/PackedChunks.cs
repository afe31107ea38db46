using PeftBench.Core.Seeding;
using PeftBench.Core.Tokenization;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// The training stream of packed fixed-length sequences, so no step spends compute on padding: the first epoch
/// reads the (already shuffled) corpus in order and tokenizes lazily, so replaying the first steps needs only the
/// corpus's beginning; later epochs visit the chunks in a seeded permutation. <see cref="Pack"/> is the masked-LM
/// layout (<c>[CLS] tokens… [SEP]</c>, <c>[SEP]</c> between lines); <see cref="CausalLmPacking"/> the decoder's.
/// </summary>
public sealed class PackedChunks
{
    private readonly IEnumerator<int[]> firstEpoch;
    private readonly List<int[]> seen = new();
    private readonly SeedTree seeds;
    private bool firstEpochDone;
    private int epoch;
    private int position;
    private int[] order = [];

    public PackedChunks(IEnumerable<int[]> chunks, SeedTree seeds)
    {
        this.seeds = seeds;
        firstEpoch = chunks.GetEnumerator();
    }

    public int Epoch => epoch;

    public int[] Next()
    {
        if (!firstEpochDone)
        {
            if (firstEpoch.MoveNext()) { seen.Add(firstEpoch.Current); return firstEpoch.Current; }
            firstEpochDone = true;
            if (seen.Count == 0) throw new InvalidOperationException("The corpus yields no full sequence.");
        }
        if (position >= order.Length)
        {
            epoch++;
            order = Enumerable.Range(0, seen.Count).ToArray();
            seeds.Random($"epoch-{epoch}").Shuffle(order);
            position = 0;
        }
        return seen[order[position++]];
    }

    public static IEnumerable<int[]> Pack(IEnumerable<string> lines, ITextTokenizer tokenizer, int sequenceLength)
    {
        var body = sequenceLength - 2;
        var buffer = new List<int>(body * 2);
        foreach (var line in lines)
        {
            if (buffer.Count > 0) buffer.Add(tokenizer.SepId);
            buffer.AddRange(tokenizer.EncodeWords(line));
            while (buffer.Count >= body)
            {
                var chunk = new int[sequenceLength];
                chunk[0] = tokenizer.ClsId;
                buffer.CopyTo(0, chunk, 1, body);
                chunk[^1] = tokenizer.SepId;
                buffer.RemoveRange(0, body);
                // A chunk never starts with a separator.
                if (buffer.Count > 0 && buffer[0] == tokenizer.SepId) buffer.RemoveAt(0);
                yield return chunk;
            }
        }
    }
}
