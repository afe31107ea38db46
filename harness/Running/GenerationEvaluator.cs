using System.Diagnostics;
using PeftBench.Core.Models;
using PeftBench.Core.Tasks;
using PeftBench.Core.Tokenization;
using static TorchSharp.torch;

namespace PeftBench.Harness.Running;

/// <summary>What a generation pass produced: per-example correct counts (the predictions metrics read), the continuations, timing.</summary>
public sealed record GenerationPass(Predictions Predictions, IReadOnlyList<IReadOnlyList<string>> Continuations, long GeneratedTokens, double GeneratedTokensPerSecond);

/// <summary>
/// Evaluation of a generation task: each prompt continued <see cref="GenerationSpec.Samples"/> times (greedy for one, else
/// temperature + nucleus sampling from the cell's generator), batched with the key/value cache, each continuation decoded,
/// cut at eos and at the task's stop sequences, and judged by the task. Prompts are batched by exact token length, so no
/// row is padded: every row computes exactly what it would alone (a soft prompt splices in after the first token, which
/// a left pad would displace) and the outcome does not depend on which prompts share a batch.
/// </summary>
public static class GenerationEvaluator
{
    public static GenerationPass Generate(SequenceClassifier model, GenerationSplit split, int limit, int batchSize, GenerationSpec spec,
        IDecoderTokenizer tokenizer, Generator? generator, Device device)
    {
        var backbone = model.Backbone as DecoderBackbone ?? throw new InvalidOperationException($"generation needs a decoder backbone, not {model.Backbone.ModelType}.");
        var head = model.Head as LanguageModelHead ?? throw new InvalidOperationException("generation needs the decoder's LM head.");
        var eos = tokenizer.EosId ?? throw new InvalidOperationException("the tokenizer declares no end-of-sequence token.");
        model.eval();
        var count = limit > 0 ? Math.Min(limit, split.Count) : split.Count;
        var values = new float[count];
        var continuations = new IReadOnlyList<string>[count];
        var promptsPerBatch = Math.Max(1, batchSize / spec.Samples);
        var batches = Enumerable.Range(0, count).GroupBy(split.PromptLengthOf).OrderBy(g => g.Key)
            .SelectMany(g => g.Order().Chunk(promptsPerBatch)).ToList();
        double timed = 0;
        int timedExamples = 0;
        long generated = 0, timedTokens = 0;
        double firstSeconds = 0;
        for (var b = 0; b < batches.Count; b++)
        {
            var indices = batches[b];
            var watch = Stopwatch.StartNew();
            long[][] rows;
            int promptLength;
            using (var scope = NewDisposeScope())
            {
                var prompt = split.PromptBatch(indices, spec.Samples, device);
                promptLength = (int)prompt.InputIds.shape[1];
                var options = new GenerationOptions
                {
                    MaxNewTokens = Math.Max(1, Math.Min(spec.MaxNewTokens, split.GenerationRoom - promptLength)),
                    DoSample = !spec.Greedy,
                    Temperature = spec.Temperature,
                    TopP = spec.TopP,
                    // Chen et al. sample with temperature and nucleus only: no top-k cut.
                    TopK = 0,
                    EosTokenIds = new TokenIdList(eos),
                    PadTokenId = eos,
                };
                var sequences = CausalLm.Generate(backbone, head.Logits, prompt.InputIds, prompt.AttentionMask, options, spec.Greedy ? null : generator);
                var flat = sequences.cpu().data<long>().ToArray();
                var width = (int)sequences.shape[1];
                rows = Enumerable.Range(0, (int)sequences.shape[0]).Select(r => flat[(r * width + promptLength)..((r + 1) * width)]).ToArray();
            }
            watch.Stop();
            long batchTokens = 0;
            for (var k = 0; k < indices.Length; k++)
            {
                var texts = new List<string>(spec.Samples);
                for (var s = 0; s < spec.Samples; s++)
                {
                    var tokens = UntilEos(rows[k * spec.Samples + s], eos);
                    batchTokens += tokens.Count + (tokens.Count < rows[k * spec.Samples + s].Length ? 1 : 0);
                    texts.Add(CutAtStop(tokenizer.Decode(tokens.Select(t => (int)t), skipSpecialTokens: true), spec.StopSequences));
                }
                var example = split.Examples[indices[k]];
                values[indices[k]] = spec.Judge(example, texts);
                continuations[indices[k]] = texts;
            }
            generated += batchTokens;
            // The first batch pays for allocator warm-up; it is left out of the timing, as in Evaluator.
            if (b == 0) firstSeconds = watch.Elapsed.TotalSeconds;
            else { timed += watch.Elapsed.TotalSeconds; timedExamples += indices.Length; timedTokens += batchTokens; }
        }
        // A split decoded in one batch has no batch after the warm-up: its only batch is timed then.
        if (batches.Count == 1) (timed, timedExamples, timedTokens) = (firstSeconds, batches[0].Length, generated);
        return new GenerationPass(new Predictions(values, timed, timedExamples), continuations, generated, timed > 0 ? timedTokens / timed : double.NaN);
    }

    private static List<long> UntilEos(long[] tokens, long eos)
    {
        var end = Array.IndexOf(tokens, eos);
        return (end < 0 ? tokens : tokens[..end]).ToList();
    }

    /// <summary>The text before the first stop sequence (HumanEval's "\ndef ", "\nclass " …), or all of it.</summary>
    public static string CutAtStop(string text, IReadOnlyList<string> stops)
    {
        var end = text.Length;
        foreach (var stop in stops)
        {
            var at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && at < end) end = at;
        }
        return text[..end];
    }
}
