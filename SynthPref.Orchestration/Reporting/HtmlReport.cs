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
        pre{white-space:pre-wrap;background:#f6f8fa;padding:.5rem;border-radius:6px;font-size:.85rem}
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
        AppendJudges(html, report.Judges, report.Agreement.ByJudge);
        AppendRevisions(html, report.Revisions);
        AppendCost(html, report.Cost);
        AppendBudget(html, report.Budget);

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
        Badge(html, length.Share, length.Warning, length.Share > 0.5 ? "longer" : "shorter", length.InsufficientData);
        html.Append("</h2>\n<dl>\n");
        Term(html, "Decisive pairs of unequal length", Int(length.Decisive));
        Term(html, "Longer response preferred", Int(length.LongerPreferred));
        Term(html, "Equal length (excluded)", Int(length.EqualLength));
        Term(html, "Longer-preferred share", Percent(length.Share));
        ShareTest(html, length.Ci95, length.Significant, length.InsufficientData);
        html.Append("</dl>\n");
        AppendLengthSlope(html, length);
        AppendHumanLength(html, length.Human);

        html.Append("<h2>Position bias</h2>\n<dl>\n");
        Term(html, "Pairs judged in both orders", Int(position.PairsJudgedBothOrders));
        Term(html, "Inconsistent across orders", Int(position.Inconsistent));
        Term(html, "Inconsistency rate", Percent(position.InconsistentRate));
        Term(html, "First-shown text preferred", Percent(position.FirstPreferredRate));
        if (position.DecisiveCalls > 0)
            Term(html, "Decisive positional answers", Int(position.DecisiveCalls));
        ShareTest(html, position.Ci95, position.Significant, position.InsufficientData);
        html.Append("</dl>\n");

        var self = report.Bias.SelfPreference;
        html.Append("<h2>Self-preference ");
        Badge(html, self.Share, self.Warning, "its own model's", self.InsufficientData);
        html.Append("</h2>\n<dl>\n");
        Term(html, "Decisive pairs with one response from the judge's model", Int(self.Pairs));
        Term(html, "Judge's own model preferred", Int(self.OwnPreferred));
        Term(html, "Own-model-preferred share", Percent(self.Share));
        ShareTest(html, self.Ci95, self.Significant, self.InsufficientData);
        html.Append("</dl>\n");

        var format = report.Bias.Format;
        html.Append("<h2>List/format bias ");
        Badge(html, format.Share, format.Warning, format.Share > 0.5 ? "formatted" : "plain", format.InsufficientData);
        html.Append("</h2>\n<dl>\n");
        Term(html, "Decisive pairs with one formatted response", Int(format.Pairs));
        Term(html, "Formatted response preferred", Int(format.FormattedPreferred));
        Term(html, "Formatted-preferred share", Percent(format.Share));
        ShareTest(html, format.Ci95, format.Significant, format.InsufficientData);
        html.Append("</dl>\n");
    }

    private static void Badge(StringBuilder html, double? share, bool warning, string favoured, bool insufficient = false)
    {
        if (share is null)
            html.Append("<span class=\"badge ok\">no data</span>");
        else if (insufficient)
            html.Append("<span class=\"badge hl\">insufficient data</span>");
        else if (warning)
            html.Append("<span class=\"badge warn\">Warning: judge favours ").Append(Encode(favoured)).Append(" responses</span>");
        else
            html.Append("<span class=\"badge ok\">within range</span>");
    }

    /// <summary>The share's 95% Wilson interval and whether it excludes one half; under 10 observations, that there are too few to warn.</summary>
    private static void ShareTest(StringBuilder html, double[]? ci, bool significant, bool insufficient)
    {
        if (ci is null)
            return;
        Term(html, "95% CI (Wilson)", Interval(ci));
        Term(html, "Interval excludes 50%", significant ? "yes" : "no");
        if (insufficient)
            Term(html, "Data", $"insufficient: fewer than {Int(BiasAuditor.MinPairs)} observations, so no warning");
    }

    private static void AppendLengthSlope(StringBuilder html, LengthBias length)
    {
        html.Append("<h3>Length slope</h3>\n<dl>\n");
        Term(html, "Decisive pairs (equal lengths included)", Int(length.SlopePairs));
        if (length.Slope is { } slope)
        {
            Term(html, "Slope (log-odds of A per SD of word difference)", Number(slope));
            Term(html, "A preferred at equal length", Percent(length.PreferenceAtEqualLength));
        }
        else
            Term(html, "Slope", "n/a: " + Encode(length.SlopeUnavailable));
        html.Append("</dl>\n");
    }

    private static void AppendHumanLength(StringBuilder html, HumanLengthBaseline? human)
    {
        if (human is null || human.Votes == 0)
            return;
        html.Append("<h3>Length: judge beside reviewers</h3>\n<dl>\n");
        Term(html, "Reviewers prefer the longer response", $"{Percent(human.Share)} of {Int(human.UnequalLengthVotes)} decisive votes of unequal length");
        Term(html, "Judge prefers the longer response, same items", $"{Percent(human.JudgeShare)} of {Int(human.JudgeDecisive)} decisive pairs of unequal length");
        if (human.Ci95 is not null)
            Term(html, "Reviewers' 95% CI (Wilson)", Interval(human.Ci95));
        Term(html, "Reviewers' slope", human.Slope is { } slope
            ? $"{Number(slope)} over {Int(human.Votes)} decisive votes; A preferred at equal length {Percent(human.PreferenceAtEqualLength)}"
            : "n/a: " + Encode(human.SlopeUnavailable));
        html.Append("</dl>\n");
    }

    private static void AppendJudges(StringBuilder html, JudgesReport? judges, IReadOnlyDictionary<string, AgreementStats>? byJudge)
    {
        if (judges is null)
            return;
        html.Append("<h2>Judges</h2>\n<table>\n<thead><tr><th>Judge</th><th>Model</th><th class=\"num\">Pairs</th>")
            .Append("<th class=\"num\">Unparseable</th><th class=\"num\">Agreement with reviewers</th><th>Output</th></tr></thead>\n<tbody>\n");
        foreach (var judge in judges.Panel)
        {
            var agreement = byJudge is not null && byJudge.TryGetValue(judge.Name, out var stats)
                ? $"{Percent(stats.Rate)} ({Int(stats.Agree)} of {Int(stats.Votes)}), κ {Kappa(stats.Kappa)}"
                : NotAvailable;
            var output = !judge.StructuredOutput ? "text"
                : judge.FellBackToText ? "text (structured output refused)"
                : "structured";
            html.Append("<tr><td>").Append(Encode(judge.Name)).Append("</td><td>").Append(Encode(judge.Model)).Append("</td>")
                .Append("<td class=\"num\">").Append(Int(judge.Pairs)).Append("</td>")
                .Append("<td class=\"num\">").Append(Int(judge.Unparseable)).Append("</td>")
                .Append("<td class=\"num\">").Append(agreement).Append("</td>")
                .Append("<td>").Append(Encode(output)).Append("</td></tr>\n");
        }
        html.Append("</tbody>\n</table>\n");

        if (judges.Pairwise.Count > 0)
        {
            html.Append("<h3>Judge–judge agreement</h3>\n<dl>\n");
            foreach (var pair in judges.Pairwise)
                Term(html, $"{pair.A} and {pair.B}", $"{Percent(pair.Rate)} ({Int(pair.Agree)} of {Int(pair.Pairs)} pairs)");
            html.Append("</dl>\n");
        }

        if (judges.UnparseableExamples.Count > 0)
        {
            html.Append("<h3>What the judge said when no verdict could be read</h3>\n");
            foreach (var example in judges.UnparseableExamples)
                html.Append("<p>").Append(Encode(example.Judge)).Append(" on <code>").Append(Encode(example.InputId)).Append("</code>:</p>\n<pre>")
                    .Append(Encode(example.Output)).Append("</pre>\n");
        }
    }

    private static void AppendRevisions(StringBuilder html, RevisionReport? revisions)
    {
        if (revisions is null || revisions.Pairs == 0)
            return;
        html.Append("<h2>Critique and revision</h2>\n<dl>\n");
        Term(html, "Revision pairs", Int(revisions.Pairs));
        Term(html, "Rounds per pair", Int(revisions.Rounds));
        Term(html, "Constitution", Encode(revisions.Constitution));
        if (revisions.Verify)
        {
            Term(html, "Verified against the original", Int(revisions.Verified));
            Term(html, "Regressions (left out of the dataset)", Int(revisions.Regressions));
            if (revisions.Unverifiable > 0)
                Term(html, "No parseable verification verdict", Int(revisions.Unverifiable));
        }
        html.Append("</dl>\n");
    }

    private static void AppendCost(StringBuilder html, CostReport cost)
    {
        if (cost.Tokens.Count == 0)
            return;
        html.Append("<h2>LLM calls and tokens</h2>\n<table>\n<thead><tr><th>Role</th><th class=\"num\">Calls</th>")
            .Append("<th class=\"num\">Cache hits</th><th class=\"num\">Input tokens</th><th class=\"num\">Output tokens</th>")
            .Append("<th class=\"num\">Estimated cost</th></tr></thead>\n<tbody>\n");
        foreach (var (role, tokens) in cost.Tokens.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var price = cost.Estimated?.ByRole.TryGetValue(role, out var rc) == true ? Money(rc!.Cost) : NotAvailable;
            html.Append("<tr><td>").Append(Encode(role)).Append("</td>")
                .Append("<td class=\"num\">").Append(Int(tokens.Calls)).Append("</td>")
                .Append("<td class=\"num\">").Append(Int(tokens.CacheHits)).Append("</td>")
                .Append("<td class=\"num\">").Append(Long(tokens.InputTokens)).Append("</td>")
                .Append("<td class=\"num\">").Append(Long(tokens.OutputTokens)).Append("</td>")
                .Append("<td class=\"num\">").Append(price).Append("</td></tr>\n");
        }
        html.Append("</tbody>\n</table>\n");
        if (cost.Estimated is { } estimated)
        {
            html.Append("<dl>\n");
            Term(html, "Estimated total", Money(estimated.Total));
            if (estimated.Unpriced.Count > 0)
                Term(html, "Roles without a price (not in the total)", Encode(string.Join(", ", estimated.Unpriced)));
            html.Append("</dl>\n");
        }
    }

    private static void AppendBudget(StringBuilder html, BudgetReport? budget)
    {
        if (budget?.BudgetTokens is not { } limit)
            return;
        html.Append("<h2>Token budget ");
        html.Append(budget.Stopped ? "<span class=\"badge warn\">stopped the run</span>" : "<span class=\"badge ok\">not reached</span>");
        html.Append("</h2>\n<dl>\n");
        Term(html, "Budget", Long(limit));
        Term(html, "Used", Long(budget.UsedTokens));
        Term(html, "Items skipped for the budget", Int(budget.SkippedForBudget));
        html.Append("</dl>\n");
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
        var ranked = agreement.MostDivergent.Select(c => c.Category).ToList();
        var order = ranked
            .Where(agreement.ByCategory.ContainsKey)
            .Concat(agreement.ByCategory.Keys
                .Where(k => !ranked.Contains(k))
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
        foreach (var category in agreement.MostDivergent.Take(MaxHighlighted).Select(c => c.Category))
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

    private static string Long(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Number(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

    private static string Money(decimal value) => value.ToString("0.0000", CultureInfo.InvariantCulture);

    public static string Percent(double? share) =>
        share is { } s ? (s * 100).ToString("F1", CultureInfo.InvariantCulture) + "%" : NotAvailable;

    private static string Interval(double[]? ci) =>
        ci is [var low, var high] ? $"{Percent(low)} – {Percent(high)}" : NotAvailable;

    private static string Kappa(double? kappa) =>
        kappa is { } k ? k.ToString("F3", CultureInfo.InvariantCulture) : NotAvailable;
}
