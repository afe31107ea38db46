namespace PeftBench.Harness.Pretraining;

/// <summary>A masked batch: corrupted ids [B·T], the flattened positions that were selected, and their original ids.</summary>
public sealed record MaskedBatch(long[] InputIds, int BatchSize, int SequenceLength, long[] Positions, long[] Targets);

/// <summary>
/// BERT's corruption (Devlin et al., 2019, §3.1): each non-special token is selected with probability
/// <c>rate</c>; a selected token becomes [MASK] 80% of the time, a uniformly random non-special token 10%, and
/// stays itself 10%; the loss is taken on all selected tokens. Draws from a seeded <see cref="Random"/>.
/// </summary>
public static class MlmMasking
{
    public static MaskedBatch Mask(IReadOnlyList<int[]> chunks, double rate, int maskId, int firstOrdinaryId, int vocabSize, ISet<int> specialIds, Random rng)
    {
        int t = chunks[0].Length;
        var ids = new long[chunks.Count * t];
        var positions = new List<long>();
        var targets = new List<long>();
        for (int b = 0; b < chunks.Count; b++)
        {
            for (int i = 0; i < t; i++)
            {
                int id = chunks[b][i];
                long flat = (long)b * t + i;
                ids[flat] = id;
                if (specialIds.Contains(id) || rng.NextDouble() >= rate) continue;
                positions.Add(flat);
                targets.Add(id);
                var r = rng.NextDouble();
                if (r < 0.8) ids[flat] = maskId;
                else if (r < 0.9) ids[flat] = rng.Next(firstOrdinaryId, vocabSize);
            }
        }
        return new MaskedBatch(ids, chunks.Count, t, positions.ToArray(), targets.ToArray());
    }
}
