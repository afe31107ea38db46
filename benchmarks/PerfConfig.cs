using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using Perfolizer.Horology;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BenchmarkDotNet.Validators;

namespace PeftBench.Benchmarks;

/// <summary>
/// The one job every micro-benchmark runs under. In-process, because BenchmarkDotNet's default toolchain rebuilds the
/// project in a temporary folder and loses the build step that makes TorchSharp's native library load on Debian 12.
/// Short, so that all methods × shapes finish in about ten minutes on two cores: each case gets 2 warm-up and 5
/// measured iterations of about 200 ms (layers take 0.1–100 ms per call, so an iteration holds several calls).
/// Medians of five are enough to rank methods and see a 2× overhead; they are not for claims of a few per cent.
/// </summary>
public static class PerfConfig
{
    public const int WarmupCount = 2;
    public const int IterationCount = 5;
    public const int IterationMilliseconds = 200;

    public static IConfig Create(string artifactsPath) => ManualConfig.CreateEmpty()
        .AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(WarmupCount)
            .WithIterationCount(IterationCount)
            .WithIterationTime(TimeInterval.FromMilliseconds(IterationMilliseconds))
            .WithId("short-in-process"))
        .AddColumnProvider(DefaultColumnProviders.Instance)
        .AddLogger(ConsoleLogger.Default)
        .AddExporter(MarkdownExporter.GitHub, CsvExporter.Default)
        .AddValidator(JitOptimizationsValidator.FailOnError, ReturnValueValidator.FailOnError)
        .WithArtifactsPath(artifactsPath);
}
