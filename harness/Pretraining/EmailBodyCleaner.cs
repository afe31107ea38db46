using System.Text;
using System.Text.RegularExpressions;

namespace PeftBench.Harness.Pretraining;

/// <summary>
/// Turns a raw RFC 822 message from the SpamAssassin corpus into plain English paragraphs: drops the headers,
/// MIME part headers and boundaries, base64 blocks, quoted replies, HTML (tags, style/script, entities),
/// URLs and addresses, and decodes quoted-printable, so the encoder learns prose rather than mail plumbing.
/// </summary>
public static partial class EmailBodyCleaner
{
    public static IEnumerable<string> Paragraphs(string message)
    {
        var text = message.Replace("\r\n", "\n");
        var split = text.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0) yield break;
        var headers = text[..split];
        var body = text[(split + 2)..];
        if (Regex.IsMatch(headers, @"^content-transfer-encoding:\s*base64", RegexOptions.IgnoreCase | RegexOptions.Multiline)) yield break;
        if (body.Contains("quoted-printable", StringComparison.OrdinalIgnoreCase) || headers.Contains("quoted-printable", StringComparison.OrdinalIgnoreCase))
            body = DecodeQuotedPrintable(body);
        body = StyleOrScript().Replace(body, " ");
        body = HtmlBreak().Replace(body, "\n\n");
        body = HtmlTag().Replace(body, " ");
        body = HtmlEntity().Replace(body, " ");
        body = Url().Replace(body, " ");
        body = Address().Replace(body, " ");

        var paragraph = new StringBuilder();
        foreach (var raw in body.Split('\n'))
        {
            var line = raw.Trim();
            // Mailing-list footers and signatures end the useful text.
            if (line == "--" || line.StartsWith("-----Original Message", StringComparison.OrdinalIgnoreCase) || line.StartsWith("_______", StringComparison.Ordinal)) break;
            bool junk = line.StartsWith("--", StringComparison.Ordinal) || line.StartsWith('>') || MimeHeader().IsMatch(line)
                || (line.Length >= 40 && !line.Contains(' '));
            if (line.Length == 0 || junk)
            {
                if (Clean(paragraph.ToString()) is { } p) yield return p;
                paragraph.Clear();
                continue;
            }
            paragraph.Append(line).Append(' ');
        }
        if (Clean(paragraph.ToString()) is { } last) yield return last;
    }

    /// <summary>Lower-cased ASCII prose, or null when the paragraph is too short or mostly symbols.</summary>
    private static string? Clean(string paragraph)
    {
        var ascii = new string(paragraph.Where(c => c is >= ' ' and <= '~').ToArray());
        var collapsed = Whitespace().Replace(ascii, " ").Trim().ToLowerInvariant();
        var words = collapsed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 6) return null;
        int letters = collapsed.Count(char.IsAsciiLetter), nonSpace = collapsed.Count(c => c != ' ');
        if (letters < 0.75 * nonSpace) return null;
        if (words.Count(w => w.Length > 25) > 0) return null;
        return collapsed;
    }

    private static string DecodeQuotedPrintable(string body)
    {
        var joined = body.Replace("=\n", "");
        return QpEscape().Replace(joined, m => ((char)Convert.ToInt32(m.Groups[1].Value, 16)).ToString());
    }

    [GeneratedRegex(@"<(style|script)[^>]*>.*?</\1>", RegexOptions.IgnoreCase | RegexOptions.Singleline)] private static partial Regex StyleOrScript();
    [GeneratedRegex(@"<(br|p|div|tr|li|h\d)\b[^>]*>", RegexOptions.IgnoreCase)] private static partial Regex HtmlBreak();
    [GeneratedRegex(@"<[^>]*>", RegexOptions.Singleline)] private static partial Regex HtmlTag();
    [GeneratedRegex(@"&#?\w+;")] private static partial Regex HtmlEntity();
    [GeneratedRegex(@"(https?://|ftp://|www\.)\S+", RegexOptions.IgnoreCase)] private static partial Regex Url();
    [GeneratedRegex(@"\S+@\S+")] private static partial Regex Address();
    [GeneratedRegex(@"^(content-|mime-|charset=|boundary=|this is a multi-part)", RegexOptions.IgnoreCase)] private static partial Regex MimeHeader();
    [GeneratedRegex(@"=([0-9A-Fa-f]{2})")] private static partial Regex QpEscape();
    [GeneratedRegex(@"\s+")] private static partial Regex Whitespace();
}
