using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace PeftBench.Core.Seeding;

/// <summary>
/// All randomness of a cell derives from its seed: sub-seeds for the head, the adapter init, the data order
/// and dropout are hashes of (cell seed, purpose), so adding a new consumer never shifts the others.
/// </summary>
public sealed class SeedTree(long cellSeed)
{
    public long CellSeed { get; } = cellSeed;

    public long Derive(string purpose)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes($"{CellSeed}/{purpose}"));
        return BitConverter.ToInt64(bytes, 0) & long.MaxValue;
    }

    /// <summary>A fresh torch generator for one purpose (e.g. <c>adapter-init</c>).</summary>
    public Generator Generator(string purpose, Device? device = null)
    {
        var g = new Generator((ulong)Derive(purpose), device ?? CPU);
        return g;
    }

    /// <summary>Re-seeds libtorch's global generator before a phase (dropout draws from it).</summary>
    public void SeedGlobal(string phase) => manual_seed(Derive(phase));

    public Random Random(string purpose) => new((int)(Derive(purpose) & int.MaxValue));
}
