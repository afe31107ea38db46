using System.IO.Compression;
using System.Text;
using PeftBench.Reports;

namespace PeftBench.Harness.Pretraining;

/// <summary>The shipped corpora: UTF-8 text, one record a line, gzipped at the smallest size, written atomically.</summary>
public static class GzipLines
{
    public static void Write(string path, IEnumerable<string> lines) =>
        AtomicFile.Write(path, tmp =>
        {
            using var file = File.Create(tmp);
            using var gz = new GZipStream(file, CompressionLevel.SmallestSize);
            using var writer = new StreamWriter(gz, new UTF8Encoding(false));
            writer.NewLine = "\n";
            foreach (var l in lines) writer.WriteLine(l);
        });

    public static List<string> Read(string path)
    {
        using var file = File.OpenRead(path);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gz, Encoding.UTF8);
        var lines = new List<string>();
        while (reader.ReadLine() is { } l) lines.Add(l);
        return lines;
    }
}
