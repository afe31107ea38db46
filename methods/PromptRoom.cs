using PeftBench.Core.Methods;
using PeftBench.Core.Sites;
using static TorchSharp.torch;

namespace PeftBench.Methods;

/// <summary>
/// What the text-prompt methods share about positions and peft's prompt-learning layout: inserted tokens (and shifting
/// prefixes) take positions from the text, so the prompt's length is capped to leave <c>reserved_input_tokens</c> for
/// it; and peft saves a prompt as one tensor, <c>prompt_embeddings</c>, which a reloaded model uses as it is.
/// </summary>
internal static class PromptRoom
{
    /// <summary>The longest prompt that leaves <paramref name="reserved"/> positions for the text; null where the model has no position limit.</summary>
    public static long? MaxLength(InputEmbeddingSite? site, int reserved) =>
        site is { MaxSequenceLength: < int.MaxValue } ? (long)site.MaxSequenceLength - reserved : null;

    /// <summary><paramref name="knob"/> capped at <paramref name="max"/> where there is one.</summary>
    public static Knob Cap(Knob knob, long? max) => max is { } m ? knob with { Max = (int)Math.Min(knob.Max, m) } : knob;

    /// <summary>A readable problem when <paramref name="length"/> exceeds <see cref="MaxLength"/>.</summary>
    public static IEnumerable<string> Problems(string methodId, string setting, int length, InputEmbeddingSite? site, int reserved)
    {
        if (MaxLength(site, reserved) is { } max && length > max)
            yield return $"{methodId}: {setting} {length} does not fit: the model takes {site!.MaxSequenceLength} positions and " +
                         $"{reserved} are reserved for the input (reserved_input_tokens), so {setting} must be 1..{Math.Max(0, max)}.";
    }

    public const string PeftKey = "prompt_embeddings";

    /// <summary>peft's <c>prompt_embeddings</c>: the prompt as saved, detached on the CPU.</summary>
    public static IReadOnlyDictionary<string, Tensor> ToPeft(Func<Tensor> prompt)
    {
        using var _ = no_grad();
        return new Dictionary<string, Tensor> { [PeftKey] = prompt().detach().cpu() };
    }

    /// <summary>
    /// <paramref name="saved"/> as the prompt a reloaded model uses in place of its encoder (peft's inference mode): checked
    /// against <paramref name="shape"/>, copied to the dtype and device of <paramref name="like"/>.
    /// </summary>
    public static Tensor Pinned(Tensor saved, long[] shape, Tensor like, string what)
    {
        if (!saved.shape.SequenceEqual(shape))
            throw new InvalidDataException($"{PeftKey} is [{string.Join(", ", saved.shape)}]; this model's {what} is [{string.Join(", ", shape)}].");
        return saved.detach().to(like.dtype, like.device).clone();
    }

    /// <summary>Hands the folder's <c>prompt_embeddings</c> to <paramref name="pin"/>; the key it used.</summary>
    public static IReadOnlyCollection<string> LoadPeft(IReadOnlyDictionary<string, Tensor> tensors, Action<Tensor> pin)
    {
        pin(tensors.TryGetValue(PeftKey, out var saved) ? saved : throw new InvalidDataException($"the adapter folder has no '{PeftKey}'."));
        return [PeftKey];
    }
}
