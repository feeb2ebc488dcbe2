using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SynthPref.Demo;

/// <summary>The report's headline figures as plain text for the terminal.</summary>
public static class Summary
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

        var review = report.GetProperty("review");
        s.AppendLine($"Human review: {review.GetProperty("sampledItems")} items, {review.GetProperty("reviewers")} reviewers, {review.GetProperty("votes")} votes (ended: {review.GetProperty("endedBy").GetString()})");

        var agreement = report.GetProperty("agreement");
        s.AppendLine("Judge-human agreement: " + Stats(agreement.GetProperty("overall")));
        var byCategory = agreement.GetProperty("byCategory");
        var divergent = agreement.GetProperty("mostDivergent").EnumerateArray().Select(e => e.GetString()!).Take(5).ToList();
        if (divergent.Count > 0)
        {
            s.AppendLine("Most divergent categories:");
            foreach (var category in divergent)
                s.AppendLine($"  {category,-28} {Stats(byCategory.GetProperty(category))}");
        }
        return s.ToString();
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
