namespace PeftBench.Tasks;

/// <summary>
/// What the shipped pretrained backbones never saw, kept for the vision and audio tasks' evaluation data, so that a
/// downstream score is never measured on examples (or spoken words) that pretraining reconstructed.
/// <list type="bullet">
/// <item><c>tiny-vit</c> pretrains on Fashion-MNIST <c>train[0:49000]</c> (images only, no labels) and measures its
/// held-out masked-patch loss on <c>train[49000:50000]</c>; <c>train[50000:60000]</c> and all of <c>t10k</c> are
/// reserved for downstream tasks (VTAB-1k-style subsets). UCI digits are not used in pretraining at all.</item>
/// <item><c>tiny-ast</c> pretrains on synthesised English words that are not spoken-digit, number, keyword
/// (Speech Commands v2), letter-name or NATO-alphabet words, nor an inflection of one (<see cref="IsReservedSpokenWord"/>).</item>
/// </list>
/// </summary>
public static class DownstreamHoldout
{
    /// <summary>Fashion-MNIST training images [0, this) are tiny-vit's pretraining images.</summary>
    public const int FashionMnistPretrainEnd = 49_000;

    /// <summary>Fashion-MNIST training images [<see cref="FashionMnistPretrainEnd"/>, this) measure tiny-vit's held-out masked-patch loss.</summary>
    public const int FashionMnistHeldOutEnd = 50_000;

    /// <summary>Fashion-MNIST training images [this, 60000) and every t10k image: never seen in pretraining.</summary>
    public const int FashionMnistReservedStart = FashionMnistHeldOutEnd;

    public static readonly IReadOnlyList<string> NumberWords =
    [
        "zero", "oh", "nought", "naught", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
        "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "million", "billion",
        "dozen", "first", "second", "third", "fifth", "eighth", "ninth", "twelfth", "half", "double", "triple", "point",
        "minus", "plus", "times",
    ];

    /// <summary>The 35 words of Speech Commands v2 (Warden, 2018): 10 commands, digits and the auxiliary words.</summary>
    public static readonly IReadOnlyList<string> SpeechCommandsWords =
    [
        "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go",
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        "bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila", "tree", "wow",
        "backward", "forward", "follow", "learn", "visual",
    ];

    /// <summary>The ICAO/NATO spelling alphabet (both spellings where two are used).</summary>
    public static readonly IReadOnlyList<string> NatoAlphabet =
    [
        "alfa", "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "juliet",
        "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor",
        "whiskey", "whisky", "xray", "yankee", "zulu",
    ];

    /// <summary>English letter names and the common words that sound like one (a spoken-letter task hears these).</summary>
    public static readonly IReadOnlyList<string> LetterNames =
    [
        "aye", "bee", "cee", "see", "sea", "dee", "gee", "aitch", "eye", "jay", "kay", "ell", "pee", "pea", "cue", "queue",
        "are", "ess", "tee", "tea", "you", "ewe", "vee", "why", "wye", "zed", "zee", "owe", "ex",
    ];

    private static readonly string[] Suffixes = ["s", "es", "ed", "ing", "er", "ers", "th", "ty", "teen", "ies", "y", "ly"];

    private static readonly HashSet<string> Reserved =
        new(NumberWords.Concat(SpeechCommandsWords).Concat(NatoAlphabet).Concat(LetterNames), StringComparer.Ordinal);

    /// <summary>
    /// True for a reserved word, the word plus a common suffix (<c>dogs</c>, <c>stopped</c> is caught by the next
    /// rule), or any word that starts with a reserved word of four letters or more (<c>following</c>, <c>seventh</c>).
    /// </summary>
    public static bool IsReservedSpokenWord(string word)
    {
        var w = word.Trim().ToLowerInvariant();
        if (Reserved.Contains(w)) return true;
        foreach (var r in Reserved)
        {
            if (r.Length >= 4 && w.StartsWith(r, StringComparison.Ordinal)) return true;
            if (w.StartsWith(r, StringComparison.Ordinal) && Suffixes.Contains(w[r.Length..])) return true;
        }
        return false;
    }
}
