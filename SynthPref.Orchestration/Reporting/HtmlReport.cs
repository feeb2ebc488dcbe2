using SynthPref.Orchestration.Rendering;
using SynthPref.Orchestration.Reporting.Html;

namespace SynthPref.Orchestration.Reporting;

/// <summary>The inline SVG charts of a report; null where a chart has nothing to draw. TrustCurve and JudgeReliability
/// only for runs with trustTarget.</summary>
public sealed record ReportChartSet(string? CategoryAgreement, string? Confusion, string? LengthPreference, string? FirstPosition,
    string? TrustCurve = null, string? JudgeReliability = null)
{
    public static ReportChartSet For(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new(ReportCharts.CategoryAgreement(report.Agreement), ReportCharts.Confusion(report.Agreement.Confusion),
            ReportCharts.LengthPreference(report.Bias.Length), ReportCharts.FirstPosition(report.Bias.Position),
            report.Trust is { } trust ? ReportCharts.TrustCurve(trust) : null,
            report.Trust is { } reliability ? ReportCharts.JudgeReliability(reliability.Judges) : null);
    }
}

/// <summary>
/// report.html: Razor components (Reporting/Html) rendered by <see cref="RazorHtml"/>. One self-contained page: no
/// scripts, no external assets, charts inline.
/// </summary>
public static class HtmlReport
{
    /// <summary>How many failed item steps the page lists; report.json and GET /api/runs/{id}/failures have them all.</summary>
    public const int FailuresShown = 20;

    public static string Render(RunReport report) => RenderAsync(report).GetAwaiter().GetResult();

    public static async Task<string> RenderAsync(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return await RazorHtml.RenderAsync<ReportPage>(new Dictionary<string, object?>
        {
            [nameof(ReportPage.Report)] = report,
            [nameof(ReportPage.Charts)] = ReportChartSet.For(report),
        });
    }

    internal const string Css = """
        body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:960px;color:#1f2328;padding:0 1rem}
        h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}
        h4{margin:.25rem 0}
        .sub{color:#59636e;margin-top:0}
        table{border-collapse:collapse;width:100%;margin:.5rem 0}
        th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #e6e8eb}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
        tr.divergent{background:#fff4e5}tr.divergent td:first-child{font-weight:600}tr.unranked td{color:#59636e}
        .badge,.swatch{display:inline-block;padding:.1rem .5rem;border-radius:999px;font-size:.8rem;font-weight:600}
        .badge.warn,.swatch.warn{background:#ffebe9;color:#cf222e;border:1px solid #cf222e}
        .badge.ok,.swatch.ok{background:#dafbe1;color:#1a7f37;border:1px solid #1a7f37}
        .badge.hl,.swatch.hl{background:#fff4e5;color:#9a6700;border:1px solid #9a6700}
        .badge.na,.swatch.na{background:#f6f8fa;color:#59636e;border:1px solid #8c959f}
        p.legend{font-size:.85rem;color:#59636e}p.legend .swatch{margin-right:.25rem}
        td.num,th.num{white-space:nowrap}td,th,dd,code,figcaption,p{overflow-wrap:anywhere}
        .scroll{overflow-x:auto;max-width:100%}
        table.compact td,table.compact th{padding:.2rem .5rem;font-size:.9rem}table.compact details{font-size:.85rem}
        figcaption{font-size:.85rem;color:#59636e;margin-top:.25rem}
        dl{display:grid;grid-template-columns:minmax(0,max-content) minmax(0,auto);gap:.25rem 1.5rem}dt{color:#59636e}dd{margin:0;min-width:0}
        dl.headline dd{font-weight:600;font-variant-numeric:tabular-nums}
        p.ranking{background:#f6f8fa;border-left:4px solid #0969da;padding:.5rem .75rem}
        pre{white-space:pre-wrap;background:#f6f8fa;padding:.5rem;border-radius:6px;font-size:.85rem}
        figure.chart{margin:1rem 0}svg.chart{max-width:100%;height:auto;display:block}
        .side{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}.side table.confusion{width:auto}
        td.diag{font-weight:700;background:#ddf4ff}
        article.example{border:1px solid #d0d7de;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
        .example .meta{color:#59636e;font-size:.9rem}.example .prompt{font-weight:600;white-space:pre-wrap}
        .responses{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
        @media (max-width:640px){.responses{grid-template-columns:1fr}}
        strong.disagrees{color:#cf222e}strong.agrees{color:#1a7f37}
        """;
}
