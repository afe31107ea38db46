using System.Text;
using PeftBench.Reports.Tables;

namespace PeftBench.Reports.Html;

/// <summary>A plot placed in the page: its SVG text inline, and the file it came from (relative to the page).</summary>
public sealed record Figure(string Title, string Caption, string File, string Svg);

/// <summary>Everything report.html shows, already built.</summary>
public sealed record HtmlContent(
    string Title,
    string Summary,
    Table Provenance,
    IReadOnlyList<Table> Tables,
    Table AllResults,
    IReadOnlyList<Figure> Pareto,
    IReadOnlyList<Figure> Curves,
    IReadOnlyList<(string Label, string Href)> CellCurves);

/// <summary>
/// report.html: one self-contained page that opens from disk with no server — styles, plots (inline SVG) and a small
/// script that sorts the "All results" table by any column. On load the script marks <c>body[data-report-ready]</c>;
/// an uncaught error marks <c>html[data-js-error]</c> (the headless-browser test reads both). Opened with
/// <c>#selftest</c>, it also sorts the table by score, descending, so a test can check the sort.
/// </summary>
public static class HtmlReport
{
    public static string Render(HtmlContent c)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append($"<title>{E(c.Title)}</title>\n");
        sb.Append("<script>window.onerror=function(m){document.documentElement.setAttribute('data-js-error',String(m));};</script>\n");
        sb.Append("<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n");
        sb.Append($"<h1>{E(c.Title)}</h1>\n<p class=\"summary\">{E(c.Summary)}</p>\n");
        sb.Append("<nav><a href=\"#tables\">Tables</a> · <a href=\"#all-results\">All results</a> · <a href=\"#pareto\">Pareto views</a> · ")
          .Append("<a href=\"#curves\">Training curves</a> · <a href=\"#provenance\">Provenance</a></nav>\n");

        sb.Append("<h2 id=\"tables\">Tables</h2>\n");
        foreach (var t in c.Tables) sb.Append(HtmlTableRenderer.Render(t));

        sb.Append("<h2 id=\"all-results\">All results</h2>\n");
        sb.Append(HtmlTableRenderer.Render(c.AllResults, sortable: true));

        sb.Append("<h2 id=\"pareto\">Pareto views</h2>\n");
        Figures(sb, c.Pareto, "pareto", "No Pareto view: the run has no suite average with a measured cost.");

        sb.Append("<h2 id=\"curves\">Training curves</h2>\n");
        Figures(sb, c.Curves, "curve", "No training curves: the result files record no training history (older files).");
        if (c.CellCurves.Count > 0)
        {
            sb.Append("<details><summary>Curves of each cell (").Append(c.CellCurves.Count).Append(" files)</summary>\n<ul class=\"cells\">\n");
            foreach (var (label, href) in c.CellCurves) sb.Append($"<li><a href=\"{E(href)}\">{E(label)}</a></li>\n");
            sb.Append("</ul>\n</details>\n");
        }

        sb.Append("<h2 id=\"provenance\">Provenance</h2>\n");
        sb.Append(HtmlTableRenderer.Render(c.Provenance));
        sb.Append("<script>\n").Append(Script).Append("</script>\n</body>\n</html>\n");
        return sb.ToString();
    }

    static void Figures(StringBuilder sb, IReadOnlyList<Figure> figures, string idPrefix, string none)
    {
        if (figures.Count == 0) { sb.Append($"<p>{E(none)}</p>\n"); return; }
        for (var i = 0; i < figures.Count; i++)
        {
            var f = figures[i];
            sb.Append($"<figure class=\"plot\">\n<figcaption><strong>{E(f.Title)}</strong> {HtmlTableRenderer.Inline(f.Caption)} ")
              .Append($"(<a href=\"{E(f.File)}\">{E(f.File)}</a>)</figcaption>\n");
            sb.Append(InlineSvg.Prepare(f.Svg, $"{idPrefix}{i}")).Append("\n</figure>\n");
        }
    }

    static string E(string s) => HtmlTableRenderer.E(s);

    const string Css = """
        body { font-family: system-ui, "DejaVu Sans", sans-serif; margin: 2em auto; max-width: 1300px; padding: 0 1em; color: #222; }
        h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; } h3 { margin-bottom: 0.3em; }
        nav { margin: 0.5em 0 1.5em; }
        table.results { border-collapse: collapse; margin: 0.5em 0; font-size: 0.92em; }
        table.results caption { caption-side: bottom; text-align: left; font-size: 0.85em; color: #555; padding-top: 0.4em; max-width: 1100px; }
        table.results th, table.results td { padding: 0.25em 0.7em; border-bottom: 1px solid #e3e3e3; white-space: nowrap; }
        table.results thead th { border-bottom: 2px solid #333; }
        table.results tbody tr:last-child td { border-bottom: 2px solid #333; }
        .num { text-align: right; } .txt { text-align: left; }
        table.sortable th { cursor: pointer; } table.sortable th[aria-sort=ascending]::after { content: " ▲"; }
        table.sortable th[aria-sort=descending]::after { content: " ▼"; }
        sup.mark { color: #a33; } ol.notes { font-size: 0.85em; color: #555; }
        figure.plot { margin: 1.5em 0; } figure.plot svg { max-width: 100%; height: auto; border: 1px solid #eee; }
        figcaption { font-size: 0.9em; margin-bottom: 0.4em; }
        ul.cells { columns: 3; font-size: 0.85em; }
        """;

    const string Script = """
        (function () {
          function key(td) {
            var v = td.getAttribute('data-v');
            if (v === null) v = td.textContent;
            var t = v.trim();
            return /^[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$/.test(t) ? parseFloat(t) : t;
          }
          function compare(x, y) {
            var nx = typeof x === 'number', ny = typeof y === 'number';
            if (nx && ny) return x - y;
            if (nx !== ny) return nx ? -1 : 1;
            return String(x).localeCompare(String(y));
          }
          function sortBy(table, col, ascending) {
            var heads = table.tHead.rows[0].cells;
            for (var i = 0; i < heads.length; i++) heads[i].removeAttribute('aria-sort');
            heads[col].setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
            var body = table.tBodies[0];
            var rows = Array.prototype.slice.call(body.rows);
            rows.sort(function (a, b) {
              var ka = key(a.cells[col]), kb = key(b.cells[col]);
              var c = compare(ka, kb);
              // Text such as "—" (not measured) stays below the numbers in either direction.
              if ((typeof ka === 'number') !== (typeof kb === 'number')) return c;
              return ascending ? c : -c;
            });
            rows.forEach(function (r) { body.appendChild(r); });
          }
          var tables = document.querySelectorAll('table.sortable');
          Array.prototype.forEach.call(tables, function (table) {
            var heads = table.tHead.rows[0].cells;
            Array.prototype.forEach.call(heads, function (th, col) {
              th.addEventListener('click', function () { sortBy(table, col, th.getAttribute('aria-sort') !== 'ascending'); });
            });
          });
          if (location.hash === '#selftest' && tables.length > 0) {
            var heads = tables[0].tHead.rows[0].cells, score = -1;
            for (var i = 0; i < heads.length; i++) if (heads[i].textContent === 'Score') score = i;
            if (score >= 0) sortBy(tables[0], score, false);
          }
          document.body.setAttribute('data-report-ready', '1');
        })();
        """;
}
