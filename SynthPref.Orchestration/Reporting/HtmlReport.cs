using System.Globalization;
using System.Net;
using System.Text;
using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Reporting;

/// <summary>
/// A single self-contained HTML page for a run. No scripts or external assets, so it can be mailed,
/// archived or opened from blob storage offline; every piece of user text is HTML-encoded.
/// </summary>
public static class HtmlReport
{
    /// <summary>How many of the lowest-agreement categories can be highlighted at most.</summary>
    public const int MaxHighlighted = 3;

    private const string NotAvailable = "n/a";

    private const string Css = """
        body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:960px;color:#1f2328;padding:0 1rem}
        h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}
        .sub{color:#59636e;margin-top:0}
        table{border-collapse:collapse;width:100%;margin:.5rem 0}
        th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #e6e8eb}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
        tr.divergent{background:#fff4e5}tr.divergent td:first-child{font-weight:600}
        .badge{display:inline-block;padding:.1rem .5rem;border-radius:999px;font-size:.8rem;font-weight:600}
        .badge.warn{background:#ffebe9;color:#cf222e;border:1px solid #cf222e}
        .badge.ok{background:#dafbe1;color:#1a7f37;border:1px solid #1a7f37}
        .badge.hl{background:#fff4e5;color:#9a6700;border:1px solid #9a6700}
        dl{display:grid;grid-template-columns:max-content auto;gap:.25rem 1.5rem}dt{color:#59636e}dd{margin:0}
        """;

    public static string Render(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new StringBuilder();
        string title = string.IsNullOrWhiteSpace(report.Name) ? report.RunId : report.Name!;

        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>SynthPref report: ").Append(Encode(title)).Append("</title>\n")
            .Append("<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n")
            .Append("<h1>SynthPref report: ").Append(Encode(title)).Append("</h1>\n")
            .Append("<p class=\"sub\">Run <code>").Append(Encode(report.RunId)).Append("</code>");
        if (!string.IsNullOrWhiteSpace(report.Name))
            html.Append(" &middot; ").Append(Encode(report.Name));
        html.Append("</p>\n");

        AppendPairs(html, report);
        AppendFailures(html, report.Failures);
        AppendBias(html, report);
        AppendReview(html, report.Review);
        AppendAgreement(html, report.Agreement, report.AgreementBySource);

        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static void AppendPairs(StringBuilder html, RunReport report)
    {
        var pairs = report.Pairs;
        html.Append("<h2>Pairs</h2>\n<dl>\n");
        Term(html, "Total pairs", Int(pairs.Total));
        foreach (var (source, count) in pairs.BySource.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            Term(html, $"From {source}", Int(count));
        Term(html, "Unparseable verdicts", Int(pairs.Unparseable));
        Term(html, "Ties", Int(pairs.Ties));
        Term(html, "Position-inconsistent", Int(pairs.PositionInconsistent));
        Term(html, "Dataset rows written", Int(report.DatasetRows));
        if (pairs.FailedItems > 0)
            Term(html, "Items with a failed step", $"{Int(pairs.FailedItems)}: {Encode(pairs.FirstFailure ?? "")}");
        html.Append("</dl>\n");
    }

    /// <summary>How many failed item steps the page lists; report.json and GET /api/runs/{id}/failures have them all.</summary>
    public const int FailuresShown = 20;

    private static void AppendFailures(StringBuilder html, FailureReport? failures)
    {
        if (failures is null || failures.Total == 0) return;
        html.Append("<h2>Failed item steps</h2>\n<p>")
            .Append(Int(failures.Total)).Append(failures.Total == 1 ? " step failed" : " steps failed");
        if (failures.Total > FailuresShown)
            html.Append("; the first ").Append(Int(FailuresShown)).Append(" are listed (all are in report.json)");
        html.Append(".</p>\n<table>\n<thead><tr><th class=\"num\">Item</th><th>Id</th><th>Step</th><th>Error</th></tr></thead>\n<tbody>\n");
        foreach (var failure in failures.Items.Take(FailuresShown))
            html.Append("<tr><td class=\"num\">").Append(Int(failure.ItemIndex)).Append("</td><td>").Append(Encode(failure.InputId))
                .Append("</td><td>").Append(Encode(failure.Step)).Append("</td><td>").Append(Encode(failure.Error)).Append("</td></tr>\n");
        html.Append("</tbody>\n</table>\n");
    }

    private static void AppendBias(StringBuilder html, RunReport report)
    {
        var length = report.Bias.Length;
        var position = report.Bias.Position;

        html.Append("<h2>Length bias ");
        Badge(html, length.Share, length.Warning, length.Share > 0.5 ? "longer" : "shorter");
        html.Append("</h2>\n<dl>\n");
        Term(html, "Decisive pairs of unequal length", Int(length.Decisive));
        Term(html, "Longer response preferred", Int(length.LongerPreferred));
        Term(html, "Equal length (excluded)", Int(length.EqualLength));
        Term(html, "Longer-preferred share", Percent(length.Share));
        html.Append("</dl>\n");

        html.Append("<h2>Position bias</h2>\n<dl>\n");
        Term(html, "Pairs judged in both orders", Int(position.PairsJudgedBothOrders));
        Term(html, "Inconsistent across orders", Int(position.Inconsistent));
        Term(html, "Inconsistency rate", Percent(position.InconsistentRate));
        Term(html, "First-shown text preferred", Percent(position.FirstPreferredRate));
        html.Append("</dl>\n");

        var self = report.Bias.SelfPreference;
        html.Append("<h2>Self-preference ");
        Badge(html, self.Share, self.Warning, "its own model's");
        html.Append("</h2>\n<dl>\n");
        Term(html, "Decisive pairs with one response from the judge's model", Int(self.Pairs));
        Term(html, "Judge's own model preferred", Int(self.OwnPreferred));
        Term(html, "Own-model-preferred share", Percent(self.Share));
        html.Append("</dl>\n");

        var format = report.Bias.Format;
        html.Append("<h2>List/format bias ");
        Badge(html, format.Share, format.Warning, format.Share > 0.5 ? "formatted" : "plain");
        html.Append("</h2>\n<dl>\n");
        Term(html, "Decisive pairs with one formatted response", Int(format.Pairs));
        Term(html, "Formatted response preferred", Int(format.FormattedPreferred));
        Term(html, "Formatted-preferred share", Percent(format.Share));
        html.Append("</dl>\n");
    }

    private static void Badge(StringBuilder html, double? share, bool warning, string favoured)
    {
        if (share is null)
            html.Append("<span class=\"badge ok\">no data</span>");
        else if (warning)
            html.Append("<span class=\"badge warn\">Warning: judge favours ").Append(Encode(favoured)).Append(" responses</span>");
        else
            html.Append("<span class=\"badge ok\">within range</span>");
    }

    private static void AppendReview(StringBuilder html, ReviewCounts review)
    {
        html.Append("<h2>Human review</h2>\n<dl>\n");
        Term(html, "Sampled items", Int(review.SampledItems));
        Term(html, "Reviewers", Int(review.Reviewers));
        Term(html, "Votes", Int(review.Votes));
        Term(html, "Review ended by", Encode(review.EndedBy));
        html.Append("</dl>\n");
    }

    private static void AppendAgreement(StringBuilder html, AgreementReport agreement, IReadOnlyDictionary<string, AgreementStats> bySource)
    {
        var overall = agreement.Overall;
        html.Append("<h2>Judge–human agreement</h2>\n<dl>\n");
        Term(html, "Votes", Int(overall.Votes));
        Term(html, "Agreement", $"{Percent(overall.Rate)} ({Int(overall.Agree)} of {Int(overall.Votes)})");
        Term(html, "95% CI (Wilson)", Interval(overall.Ci95));
        Term(html, "Agreement excluding ties", $"{Percent(overall.RateExcludingTies)} (n = {Int(overall.VotesExcludingTies)})");
        Term(html, "Cohen's κ", Kappa(overall.Kappa));
        foreach (var (source, stats) in bySource.Where(kv => kv.Value.Votes > 0))
            Term(html, $"On {source} pairs", $"{Percent(stats.Rate)} ({Int(stats.Agree)} of {Int(stats.Votes)}), κ {Kappa(stats.Kappa)}");
        html.Append("</dl>\n");

        var highlighted = Highlighted(agreement);
        // MostDivergent is already rate-ascending; categories it leaves out (no votes) go last.
        var order = agreement.MostDivergent
            .Where(agreement.ByCategory.ContainsKey)
            .Concat(agreement.ByCategory.Keys
                .Where(k => !agreement.MostDivergent.Contains(k))
                .OrderBy(k => k, StringComparer.Ordinal))
            .ToList();

        html.Append("<h3>By category</h3>\n");
        if (order.Count == 0)
        {
            html.Append("<p>No votes were cast.</p>\n");
            return;
        }

        html.Append("<table>\n<thead><tr><th>Category</th><th class=\"num\">Votes</th><th class=\"num\">Agree</th>")
            .Append("<th class=\"num\">Rate</th><th class=\"num\">95% CI</th><th class=\"num\">Excl. ties</th>")
            .Append("<th class=\"num\">κ</th></tr></thead>\n<tbody>\n");
        foreach (var category in order)
        {
            var stats = agreement.ByCategory[category];
            bool divergent = highlighted.Contains(category);
            html.Append(divergent ? "<tr class=\"divergent\">" : "<tr>")
                .Append("<td>").Append(Encode(category));
            if (divergent)
                html.Append(" <span class=\"badge hl\">most divergent</span>");
            html.Append("</td>")
                .Append("<td class=\"num\">").Append(Int(stats.Votes)).Append("</td>")
                .Append("<td class=\"num\">").Append(Int(stats.Agree)).Append("</td>")
                .Append("<td class=\"num\">").Append(Percent(stats.Rate)).Append("</td>")
                .Append("<td class=\"num\">").Append(Interval(stats.Ci95)).Append("</td>")
                .Append("<td class=\"num\">").Append(Percent(stats.RateExcludingTies))
                .Append(" (n = ").Append(Int(stats.VotesExcludingTies)).Append(")</td>")
                .Append("<td class=\"num\">").Append(Kappa(stats.Kappa)).Append("</td></tr>\n");
        }
        html.Append("</tbody>\n</table>\n");
    }

    /// <summary>
    /// The lowest-rate categories that actually sit below the overall rate; flagging the bottom of a list
    /// where every category agrees equally would point reviewers at noise.
    /// </summary>
    public static IReadOnlySet<string> Highlighted(AgreementReport agreement)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (agreement.Overall.Rate is not { } overallRate)
            return result;
        foreach (var category in agreement.MostDivergent.Take(MaxHighlighted))
        {
            if (agreement.ByCategory.TryGetValue(category, out var stats) && stats.Rate < overallRate)
                result.Add(category);
        }
        return result;
    }

    private static void Term(StringBuilder html, string term, string encodedValue) =>
        html.Append("<dt>").Append(Encode(term)).Append("</dt><dd>").Append(encodedValue).Append("</dd>\n");

    private static string Encode(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Percent(double? share) =>
        share is { } s ? (s * 100).ToString("F1", CultureInfo.InvariantCulture) + "%" : NotAvailable;

    private static string Interval(double[]? ci) =>
        ci is [var low, var high] ? $"{Percent(low)} – {Percent(high)}" : NotAvailable;

    private static string Kappa(double? kappa) =>
        kappa is { } k ? k.ToString("F3", CultureInfo.InvariantCulture) : NotAvailable;
}
