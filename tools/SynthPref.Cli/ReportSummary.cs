using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SynthPref.Cli;

/// <summary>The report's headline figures as plain text for the terminal: what `synthpref run --wait` and `synthpref report`
/// print, and the demo too.</summary>
public static class ReportSummary
{
    public static string Render(JsonElement report)
    {
        var s = new StringBuilder();
        var pairs = report.GetProperty("pairs");
        s.AppendLine($"Pairs: {pairs.GetProperty("total")} judged, {pairs.GetProperty("unparseable")} unparseable judge outputs, " +
                     $"{pairs.GetProperty("ties")} ties ({pairs.GetProperty("positionInconsistent")} from position-inconsistent verdicts)");

        var length = report.GetProperty("bias").GetProperty("length");
        s.AppendLine($"Length bias: longer answer preferred in {length.GetProperty("longerPreferred")} of {length.GetProperty("decisive")} decisive verdicts " +
                     $"({Pct(length.GetProperty("share"))}){(length.GetProperty("warning").GetBoolean() ? "  WARNING: more than 15 points from 50%" : "")}");
        var position = report.GetProperty("bias").GetProperty("position");
        s.AppendLine($"Position: {position.GetProperty("inconsistent")} of {position.GetProperty("pairsJudgedBothOrders")} pairs flip with order " +
                     $"({Pct(position.GetProperty("inconsistentRate"))}); first-shown preferred {Pct(position.GetProperty("firstPreferredRate"))}");

        var bias = report.GetProperty("bias");
        if (bias.TryGetProperty("selfPreference", out var self) && self.ValueKind == JsonValueKind.Object)
            s.AppendLine($"Self-preference: judge's own model preferred in {self.GetProperty("ownPreferred")} of {self.GetProperty("pairs")} decisive verdicts " +
                         $"against another model ({Pct(self.GetProperty("share"))}){(self.GetProperty("warning").GetBoolean() ? "  WARNING: more than 65%" : "")}");
        if (bias.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.Object)
            s.AppendLine($"List/format bias: formatted answer preferred in {format.GetProperty("formattedPreferred")} of {format.GetProperty("pairs")} decisive verdicts " +
                         $"against a plain one ({Pct(format.GetProperty("share"))}){(format.GetProperty("warning").GetBoolean() ? "  WARNING: more than 15 points from 50%" : "")}");

        AppendBiasIntervals(s, bias);
        AppendLengthDetail(s, length);

        var review = report.GetProperty("review");
        s.AppendLine($"Human review: {review.GetProperty("sampledItems")} items, {review.GetProperty("reviewers")} reviewers, {review.GetProperty("votes")} votes (ended: {review.GetProperty("endedBy").GetString()})");

        var agreement = report.GetProperty("agreement");
        s.AppendLine("Judge-human agreement: " + Stats(agreement.GetProperty("overall")));
        AppendConfusion(s, agreement);
        AppendHumanCeiling(s, agreement);
        AppendRanking(s, agreement);
        AppendJudges(s, report, agreement);
        AppendTrust(s, report);
        AppendRevisions(s, report);
        AppendCost(s, report);
        return s.ToString();
    }

    /// <summary>The confusion matrix in one line per judge verdict.</summary>
    static void AppendConfusion(StringBuilder s, JsonElement agreement)
    {
        if (!agreement.TryGetProperty("confusion", out var confusion) || confusion.ValueKind != JsonValueKind.Object) return;
        var labels = confusion.GetProperty("labels").EnumerateArray().Select(l => l.GetString()!).ToList();
        var rows = confusion.GetProperty("counts").EnumerateArray().ToList();
        s.AppendLine($"Votes by judge verdict (rows) and human label ({string.Join(", ", labels)}): " +
                     string.Join("; ", rows.Select((row, i) => $"judge {labels[i]} {string.Join(" ", row.EnumerateArray().Select(c => c.GetInt32()))}")));
    }

    /// <summary>How often reviewers agree with each other, beside the judge on the same items.</summary>
    static void AppendHumanCeiling(StringBuilder s, JsonElement agreement)
    {
        if (!agreement.TryGetProperty("humans", out var humans) || humans.ValueKind != JsonValueKind.Object) return;
        if (humans.GetProperty("comparisons").GetInt32() == 0)
        {
            s.AppendLine("Human ceiling: no item has two reviewers, so reviewers cannot be compared with each other");
            return;
        }
        var judge = humans.GetProperty("judgeOnSameItems");
        s.AppendLine($"Human ceiling: reviewers agree with each other in {Pct(humans.GetProperty("rate"))} of {humans.GetProperty("comparisons")} comparisons " +
                     $"on {humans.GetProperty("items")} items (excluding ties {Pct(humans.GetProperty("rateExcludingTies"))} of {humans.GetProperty("comparisonsExcludingTies")}), " +
                     $"Krippendorff's α = {Num(humans.GetProperty("krippendorffAlpha"))}; the judge agrees with them in {Pct(judge.GetProperty("rate"))} " +
                     $"of {judge.GetProperty("votes")} votes on the same items");
    }

    /// <summary>The ranked categories, only where they have the votes; otherwise the report's plain statement that they cannot be ranked.</summary>
    static void AppendRanking(StringBuilder s, JsonElement agreement)
    {
        var byCategory = agreement.GetProperty("byCategory");
        var ranked = agreement.GetProperty("mostDivergent").EnumerateArray().Take(5).ToList();
        if (ranked.Count > 0)
        {
            s.AppendLine($"Most divergent categories (at least {agreement.GetProperty("minCategoryVotes")} votes each):");
            foreach (var category in ranked)
            {
                var name = category.GetProperty("category").GetString()!;
                s.AppendLine($"  {name,-28} {Stats(byCategory.GetProperty(name))}" +
                             (category.GetProperty("divergesSignificantly").GetBoolean() ? "  significantly below overall" : ""));
            }
        }
        if (agreement.TryGetProperty("ranking", out var statement) && statement.ValueKind == JsonValueKind.String)
            s.AppendLine("Categories: " + statement.GetString());
    }

    /// <summary>Each bias share's 95% Wilson interval, and whether it excludes 50% or rests on too few pairs.</summary>
    static void AppendBiasIntervals(StringBuilder s, JsonElement bias)
    {
        var parts = new List<string>();
        foreach (var (name, label) in new[] { ("length", "length"), ("position", "first position"), ("selfPreference", "self-preference"), ("format", "format") })
        {
            if (!bias.TryGetProperty(name, out var b) || !b.TryGetProperty("ci95", out var ci)) continue;
            var verdict = b.GetProperty("insufficientData").GetBoolean() ? "insufficient data"
                : b.GetProperty("significant").GetBoolean() ? "excludes 50%" : "includes 50%";
            parts.Add($"{label} {Ci(ci)} {verdict}");
        }
        if (parts.Count > 0)
            s.AppendLine("Bias shares, 95% CI: " + string.Join("; ", parts));
    }

    /// <summary>The length slope, and the reviewers' length preference beside the judge's on the same items.</summary>
    static void AppendLengthDetail(StringBuilder s, JsonElement length)
    {
        if (length.TryGetProperty("slopePairs", out var rows))
        {
            s.AppendLine(length.GetProperty("slope").ValueKind == JsonValueKind.Number
                ? $"Length slope: {Num(length.GetProperty("slope"))} log-odds of A per SD of word difference over {rows} decisive pairs; " +
                  $"A preferred {Pct(length.GetProperty("preferenceAtEqualLength"))} at equal length"
                : $"Length slope: n/a ({length.GetProperty("slopeUnavailable").GetString()})");
        }
        if (length.TryGetProperty("human", out var human) && human.ValueKind == JsonValueKind.Object && human.GetProperty("votes").GetInt32() > 0)
        {
            s.AppendLine($"Length, people vs judge: reviewers chose the longer answer in {Pct(human.GetProperty("share"))} of " +
                         $"{human.GetProperty("unequalLengthVotes")} decisive votes; the judge in {Pct(human.GetProperty("judgeShare"))} of " +
                         $"{human.GetProperty("judgeDecisive")} of the same items" +
                         (human.GetProperty("slope").ValueKind == JsonValueKind.Number ? $" (reviewers' slope {Num(human.GetProperty("slope"))})" : ""));
        }
    }

    static void AppendJudges(StringBuilder s, JsonElement report, JsonElement agreement)
    {
        if (!report.TryGetProperty("judges", out var judges) || judges.ValueKind != JsonValueKind.Object) return;
        var panel = judges.GetProperty("panel").EnumerateArray().ToList();
        if (panel.Count > 1)
        {
            s.AppendLine($"Jury of {panel.Count} (majority rule): " + string.Join(", ", panel.Select(j => $"{j.GetProperty("name").GetString()} ({j.GetProperty("model").GetString()})")));
            if (agreement.TryGetProperty("byJudge", out var byJudge) && byJudge.ValueKind == JsonValueKind.Object)
                foreach (var judge in byJudge.EnumerateObject())
                    s.AppendLine($"  {judge.Name,-28} {Stats(judge.Value)}");
            foreach (var pair in judges.GetProperty("pairwise").EnumerateArray())
                s.AppendLine($"  {pair.GetProperty("a").GetString()} and {pair.GetProperty("b").GetString()} agree on " +
                             $"{Pct(pair.GetProperty("rate"))} of {pair.GetProperty("pairs")} pairs");
        }
        var fellBack = panel.Where(j => j.GetProperty("fellBackToText").GetBoolean()).Select(j => j.GetProperty("name").GetString()).ToList();
        if (fellBack.Count > 0)
            s.AppendLine($"Structured output refused by {string.Join(", ", fellBack)}: text template for the rest of the run");
        var example = judges.GetProperty("unparseableExamples").EnumerateArray().FirstOrDefault();
        if (example.ValueKind == JsonValueKind.Object)
        {
            var output = example.GetProperty("output").GetString()!.ReplaceLineEndings(" ").Trim();
            s.AppendLine($"An unparseable judge output ({example.GetProperty("inputId").GetString()}): " +
                         (output.Length == 0 ? "(an empty answer)" : $"\"{(output.Length > 100 ? output[..100] + "…" : output)}\""));
        }
    }

    /// <summary>The trust statement, each level's evidence and the escalation, for runs with trustTarget.</summary>
    static void AppendTrust(StringBuilder s, JsonElement report)
    {
        if (!report.TryGetProperty("trust", out var trust) || trust.ValueKind != JsonValueKind.Object) return;
        s.AppendLine("Trust: " + trust.GetProperty("statement").GetString());
        var levels = trust.GetProperty("levels").EnumerateArray().ToList();
        if (levels.Count > 0)
            s.AppendLine("  trust levels: " + string.Join("; ", levels.Select(l =>
                $"≥{l.GetProperty("points")} points {l.GetProperty("agree")} of {l.GetProperty("items")} agree ({Pct(l.GetProperty("rate"))}, " +
                $"lower bound {Pct(l.GetProperty("lower"))}, coverage {Pct(l.GetProperty("coverage"))}){(l.GetProperty("accepted").GetBoolean() ? " accepted" : "")}")));
        s.AppendLine("  " + trust.GetProperty("escalation").GetProperty("statement").GetString());
    }

    static void AppendRevisions(StringBuilder s, JsonElement report)
    {
        if (!report.TryGetProperty("revisions", out var r) || r.ValueKind != JsonValueKind.Object || r.GetProperty("pairs").GetInt32() == 0) return;
        s.Append($"Revisions: {r.GetProperty("pairs")} pairs, {r.GetProperty("rounds")} round(s) each, constitution {r.GetProperty("constitution").GetString()}");
        if (r.GetProperty("verify").GetBoolean())
            s.Append($"; {r.GetProperty("verified")} verified, {r.GetProperty("regressions")} regressions left out of the dataset");
        s.AppendLine();
    }

    static void AppendCost(StringBuilder s, JsonElement report)
    {
        var cost = report.GetProperty("cost");
        foreach (var role in cost.GetProperty("tokens").EnumerateObject())
            s.AppendLine($"LLM {role.Name}: {role.Value.GetProperty("calls")} calls ({role.Value.GetProperty("cacheHits")} answered by the cache), " +
                         $"{role.Value.GetProperty("inputTokens")} input and {role.Value.GetProperty("outputTokens")} output tokens");
        if (cost.TryGetProperty("estimated", out var estimated) && estimated.ValueKind == JsonValueKind.Object)
            s.AppendLine($"Estimated cost: {estimated.GetProperty("total").GetDecimal().ToString("0.0000", CultureInfo.InvariantCulture)}" +
                         (estimated.GetProperty("unpriced").GetArrayLength() > 0
                             ? $" (no price for {string.Join(", ", estimated.GetProperty("unpriced").EnumerateArray().Select(e => e.GetString()))})"
                             : ""));
        if (report.TryGetProperty("budget", out var budget) && budget.ValueKind == JsonValueKind.Object
            && budget.GetProperty("budgetTokens").ValueKind == JsonValueKind.Number)
            s.AppendLine($"Token budget {budget.GetProperty("budgetTokens")}: {budget.GetProperty("usedTokens")} used" +
                         (budget.GetProperty("stopped").GetBoolean() ? $"; it stopped the run, {budget.GetProperty("skippedForBudget")} items skipped" : "; not reached"));
    }

    static string Stats(JsonElement e) =>
        $"{Pct(e.GetProperty("rate"))} of {e.GetProperty("votes")} votes, 95% CI {Ci(e.GetProperty("ci95"))}, " +
        $"excluding ties {Pct(e.GetProperty("rateExcludingTies"))} of {e.GetProperty("votesExcludingTies")}, κ = {Num(e.GetProperty("kappa"))}";

    static string Pct(JsonElement e) =>
        e.ValueKind == JsonValueKind.Number ? (e.GetDouble() * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "n/a";

    static string Num(JsonElement e) =>
        e.ValueKind == JsonValueKind.Number ? e.GetDouble().ToString("0.000", CultureInfo.InvariantCulture) : "n/a";

    static string Ci(JsonElement e) =>
        e.ValueKind == JsonValueKind.Array ? $"[{Pct(e[0])}, {Pct(e[1])}]" : "n/a";
}
