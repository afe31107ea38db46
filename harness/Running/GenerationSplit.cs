using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Tasks;
using PeftBench.Core.Tokenization;
using static TorchSharp.torch;

namespace PeftBench.Harness.Running;

/// <summary>
/// A generation task's split tokenized once for a decoder: each example is its prompt (with the tokenizer's template,
/// e.g. LLaMA's bos) followed by its response and eos, the two tokenized separately so that the boundary between them
/// is the same in training and at generation. Training batches are right-padded; their labels are the next token at
/// each position, −100 (ignored) on padding and, unless <see cref="TrainOnInputs"/>, on the prompt: the loss is on
/// response tokens only, as in Alpaca/Vicuna-style instruction tuning (train_on_inputs = False). Batches of similar
/// length are grouped by the trainer (<see cref="GroupByLength"/>) so that little compute goes to padding.
/// </summary>
public sealed class GenerationSplit : IEncodedSplit
{
    public const long IgnoreIndex = TaskLoss.IgnoreIndex;

    private readonly long[][] prompts;
    private readonly long[][] responses;
    private readonly long[][] generationPrompts;
    private readonly float[] labels;
    private readonly long padId;

    public IReadOnlyList<PromptExample> Examples { get; }
    public bool TrainOnInputs { get; }
    /// <summary>Tokens an evaluation prompt plus its continuation may take (the positions the model leaves).</summary>
    public int GenerationRoom { get; }
    /// <summary>Examples whose prompt + response was cut to fit the training length (reported, never silent).</summary>
    public int TruncatedExamples { get; }

    public int Count => prompts.Length;
    public IReadOnlyList<float> Labels => labels;
    public bool GroupByLength => true;

    /// <param name="maxLength">Tokens per training example (the recipe's length within the model's positions).</param>
    /// <param name="generationRoom">Positions left for prompt + continuation at evaluation.</param>
    /// <param name="maxNewTokens">The task's continuation budget: evaluation prompts are cut (from the left) to leave it, up to half the room.</param>
    public GenerationSplit(IReadOnlyList<Example> examples, IDecoderTokenizer tokenizer, int maxLength, int generationRoom, int maxNewTokens, bool trainOnInputs)
    {
        if (maxLength < 2) throw new ArgumentException($"a prompt → response example needs at least 2 tokens (got {maxLength}).");
        var eos = tokenizer.EosId ?? throw new InvalidOperationException("the tokenizer declares no end-of-sequence token, so generation could never stop; use a decoder folder whose tokenizer has eos.");
        Examples = examples.Select(e => e as PromptExample
            ?? throw new NotSupportedException($"a generation task's examples are prompt → response pairs, not {e.GetType().Name}s.")).ToList();
        TrainOnInputs = trainOnInputs;
        GenerationRoom = generationRoom;
        padId = tokenizer.PadId;
        var n = Examples.Count;
        prompts = new long[n][];
        responses = new long[n][];
        generationPrompts = new long[n][];
        labels = new float[n];
        var bos = tokenizer.BosId;
        var promptLimit = Math.Max(generationRoom - maxNewTokens, generationRoom / 2);
        for (var i = 0; i < n; i++)
        {
            var prompt = tokenizer.Encode(Examples[i].Prompt, addSpecialTokens: true).Select(t => (long)t).ToArray();
            var response = tokenizer.Encode(Examples[i].Response, addSpecialTokens: false).Select(t => (long)t).Append(eos).ToArray();
            var (p, r) = FitTraining(prompt.Length, response.Length, maxLength);
            if (p < prompt.Length || r < response.Length) TruncatedExamples++;
            prompts[i] = KeepEnd(prompt, p, bos);
            responses[i] = response[..r];
            generationPrompts[i] = KeepEnd(prompt, Math.Min(prompt.Length, promptLimit), bos);
        }
    }

    /// <summary>
    /// Prompt and response lengths within <paramref name="maxLength"/>: both whole when they fit; otherwise the response
    /// keeps what the prompt leaves, the prompt at most half when the response is long (so at least one response token is
    /// always trained on), the response cut at its end and the prompt at its start.
    /// </summary>
    public static (int Prompt, int Response) FitTraining(int prompt, int response, int maxLength)
    {
        if (prompt + response <= maxLength) return (prompt, response);
        var keepResponse = Math.Min(response, maxLength - Math.Min(prompt, maxLength / 2));
        return (Math.Min(prompt, maxLength - keepResponse), keepResponse);
    }

    /// <summary>The last <paramref name="keep"/> tokens, the template's bos kept first when the prompt began with it.</summary>
    private static long[] KeepEnd(long[] tokens, int keep, int? bos)
    {
        if (keep >= tokens.Length) return tokens;
        if (bos is { } b && tokens.Length > 0 && tokens[0] == b && keep >= 2) return [b, .. tokens[^(keep - 1)..]];
        return tokens[^keep..];
    }

    public int LengthOf(int index) => prompts[index].Length + responses[index].Length;
    public int PromptLengthOf(int index) => generationPrompts[index].Length;
    public IReadOnlyList<long> ResponseOf(int index) => responses[index];

    public long TokenCount(IReadOnlyList<int> indices) => indices.Sum(i => (long)LengthOf(i));

    /// <summary>Right-padded prompt + response rows, their next-token labels [B, T] and the prompt positions as the intervention mask.</summary>
    public (ModelInputs Batch, Tensor Labels) Batch(IReadOnlyList<int> indices, Device device, bool isRegression, Random? augmentation = null)
    {
        var width = indices.Max(LengthOf);
        var ids = new long[indices.Count * width];
        var mask = new long[indices.Count * width];
        var promptMask = new long[indices.Count * width];
        var targets = new long[indices.Count * width];
        Array.Fill(ids, padId);
        Array.Fill(targets, IgnoreIndex);
        for (var r = 0; r < indices.Count; r++)
        {
            var (prompt, response) = (prompts[indices[r]], responses[indices[r]]);
            var row = r * width;
            prompt.CopyTo(ids, row);
            response.CopyTo(ids, row + prompt.Length);
            var length = prompt.Length + response.Length;
            Array.Fill(mask, 1L, row, length);
            Array.Fill(promptMask, 1L, row, prompt.Length);
            // Position t predicts token t + 1: response tokens always, prompt tokens (after the first) with train-on-inputs.
            var firstTarget = TrainOnInputs ? 1 : prompt.Length;
            for (var t = Math.Max(firstTarget, 1); t < length; t++) targets[row + t - 1] = ids[row + t];
        }
        long[] shape = [indices.Count, width];
        var batch = new TokenBatch(tensor(ids, shape, device: device), tensor(mask, shape, device: device), null)
            { InterventionMask = tensor(promptMask, shape, device: device) };
        return (batch, tensor(targets, shape, device: device));
    }

    /// <summary>Evaluation prompts, left-padded [B, T] (rows of one length need no padding), for <see cref="CausalLm.Generate(DecoderBackbone, Func{Tensor, Tensor}, Tensor, Tensor, GenerationOptions, Generator?)"/>.</summary>
    public TokenBatch PromptBatch(IReadOnlyList<int> indices, int repeats, Device device)
    {
        var width = indices.Max(PromptLengthOf);
        var rows = indices.SelectMany(i => Enumerable.Repeat(i, repeats)).ToList();
        var ids = new long[rows.Count * width];
        var mask = new long[rows.Count * width];
        Array.Fill(ids, padId);
        for (var r = 0; r < rows.Count; r++)
        {
            var prompt = generationPrompts[rows[r]];
            var start = r * width + width - prompt.Length;
            prompt.CopyTo(ids, start);
            Array.Fill(mask, 1L, start, prompt.Length);
        }
        long[] shape = [rows.Count, width];
        return new TokenBatch(tensor(ids, shape, device: device), tensor(mask, shape, device: device), null);
    }
}
