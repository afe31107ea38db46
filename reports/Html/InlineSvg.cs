using System.Text.RegularExpressions;

namespace PeftBench.Reports.Html;

/// <summary>
/// Makes a ScottPlot SVG file fit to paste into a page: drops the XML declaration and prefixes every id (and its
/// <c>url(#…)</c> / <c>href="#…"</c> uses), since several plots in one document would otherwise share clip-path ids.
/// </summary>
public static partial class InlineSvg
{
    public static string Prepare(string svg, string prefix)
    {
        var body = XmlDeclaration().Replace(svg, "").Trim();
        body = IdAttribute().Replace(body, m => $"id=\"{prefix}-{m.Groups[1].Value}\"");
        body = UrlReference().Replace(body, m => $"url(#{prefix}-{m.Groups[1].Value})");
        body = HrefReference().Replace(body, m => $"{m.Groups[1].Value}=\"#{prefix}-{m.Groups[2].Value}\"");
        // Scale with the page: keep the drawing's size as a viewBox.
        var size = SvgSize().Match(body);
        if (size.Success && !body.Contains("viewBox", StringComparison.Ordinal))
            body = body[..size.Index] + $"<svg{size.Groups[1].Value} viewBox=\"0 0 {size.Groups[2].Value} {size.Groups[3].Value}\"" + body[(size.Index + size.Length)..];
        return body;
    }

    [GeneratedRegex(@"^\s*<\?xml[^>]*\?>")] private static partial Regex XmlDeclaration();
    [GeneratedRegex("id=\"([^\"]+)\"")] private static partial Regex IdAttribute();
    [GeneratedRegex(@"url\(#([^)]+)\)")] private static partial Regex UrlReference();
    [GeneratedRegex("(xlink:href|href)=\"#([^\"]+)\"")] private static partial Regex HrefReference();
    [GeneratedRegex("<svg([^>]*?) width=\"(\\d+)\" height=\"(\\d+)\"")] private static partial Regex SvgSize();
}
