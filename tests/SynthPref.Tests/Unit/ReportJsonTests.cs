using System.Text.Json;
using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reporting;

namespace SynthPref.Tests.Unit;

public class ReportJsonTests
{
    static JsonElement Parse(RunReport report) => JsonDocument.Parse(ReportJson.Serialize(report)).RootElement;

    [Fact]
    public void Report_has_the_agreed_shape()
    {
        var root = Parse(ReportFactory.Build());

        Assert.Equal("run-42", root.GetProperty("runId").GetString());

        var pairs = root.GetProperty("pairs");
        Assert.Equal(30, pairs.GetProperty("total").GetInt32());
        Assert.Equal(24, pairs.GetProperty("bySource").GetProperty("judge").GetInt32());
        Assert.Equal(6, pairs.GetProperty("bySource").GetProperty("revision").GetInt32());
        Assert.Equal(1, pairs.GetProperty("unparseable").GetInt32());

        // Votes split by pair source: 3 of 4 on judge pairs, 1 of 2 on revision pairs.
        var bySource = root.GetProperty("agreementBySource");
        Assert.Equal(4, bySource.GetProperty("judge").GetProperty("votes").GetInt32());
        Assert.Equal(0.75, bySource.GetProperty("judge").GetProperty("rate").GetDouble());
        Assert.Equal(2, bySource.GetProperty("revision").GetProperty("votes").GetInt32());
        Assert.Equal(0.5, bySource.GetProperty("revision").GetProperty("rate").GetDouble());

        var length = root.GetProperty("bias").GetProperty("length");
        Assert.Equal(20, length.GetProperty("decisive").GetInt32());
        Assert.Equal(16, length.GetProperty("longerPreferred").GetInt32());
        Assert.True(length.GetProperty("warning").GetBoolean());

        var position = root.GetProperty("bias").GetProperty("position");
        Assert.Equal(8, position.GetProperty("pairsJudgedBothOrders").GetInt32());
        Assert.Equal(1, position.GetProperty("inconsistent").GetInt32());
        Assert.Equal(0.125, position.GetProperty("inconsistentRate").GetDouble());
        Assert.Equal(JsonValueKind.Null, position.GetProperty("firstPreferredRate").ValueKind);

        var self = root.GetProperty("bias").GetProperty("selfPreference");
        Assert.Equal(["pairs", "ownPreferred", "share", "warning", "ci95", "significant", "insufficientData"], self.EnumerateObject().Select(p => p.Name));
        Assert.Equal(5, self.GetProperty("pairs").GetInt32());
        Assert.Equal(3, self.GetProperty("ownPreferred").GetInt32());
        Assert.Equal(0.6, self.GetProperty("share").GetDouble());
        Assert.False(self.GetProperty("warning").GetBoolean());

        var format = root.GetProperty("bias").GetProperty("format");
        Assert.Equal(["pairs", "formattedPreferred", "share", "warning", "ci95", "significant", "insufficientData"], format.EnumerateObject().Select(p => p.Name));
        Assert.Equal(0, format.GetProperty("pairs").GetInt32());
        Assert.Equal(JsonValueKind.Null, format.GetProperty("share").ValueKind);

        // The original fields keep their names and order; new ones only ever come after them.
        Assert.Equal(["length", "position", "selfPreference", "format"], root.GetProperty("bias").EnumerateObject().Select(p => p.Name));

        var agreement = root.GetProperty("agreement");
        var overall = agreement.GetProperty("overall");
        Assert.Equal(6, overall.GetProperty("votes").GetInt32());
        Assert.Equal(4, overall.GetProperty("agree").GetInt32());
        Assert.Equal(4.0 / 6.0, overall.GetProperty("rate").GetDouble(), 10);
        Assert.Equal(2, overall.GetProperty("ci95").GetArrayLength());
        Assert.Equal(5, overall.GetProperty("votesExcludingTies").GetInt32());
        Assert.Equal(0.8, overall.GetProperty("rateExcludingTies").GetDouble(), 10);
        Assert.Equal(JsonValueKind.Number, overall.GetProperty("kappa").ValueKind);

        var chat = agreement.GetProperty("byCategory").GetProperty("chat");
        foreach (var field in new[] { "votes", "agree", "rate", "ci95", "votesExcludingTies", "rateExcludingTies", "kappa" })
            Assert.True(chat.TryGetProperty(field, out _), $"byCategory.chat.{field} missing");

        // Neither category has the default 10 votes: nothing is ranked, both are listed with their counts, and the
        // report says so. The confusion matrix counts the same six votes.
        Assert.Equal(0, agreement.GetProperty("mostDivergent").GetArrayLength());
        Assert.Equal(10, agreement.GetProperty("minCategoryVotes").GetInt32());
        Assert.Equal([("chat", 4), ("Code Review", 2)], agreement.GetProperty("tooFewVotes").EnumerateArray()
            .Select(e => (e.GetProperty("category").GetString(), e.GetProperty("votes").GetInt32())));
        Assert.StartsWith("No category has the 10 votes needed", agreement.GetProperty("ranking").GetString());
        Assert.Equal("[[3,0,1],[1,1,0],[0,0,0]]", agreement.GetProperty("confusion").GetProperty("counts").GetRawText().Replace(" ", "")
            .Replace("\n", "").Replace("\r", ""));
        var ranked = Parse(ReportFactory.Build() with
        {
            Agreement = AgreementCalculator.Compute(
            ReportFactory.Votes("Code Review"), minCategoryVotes: 2)
        }).GetProperty("agreement").GetProperty("mostDivergent");
        Assert.Equal(["category", "votes", "agree", "rate", "ci95", "divergesSignificantly"], ranked[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(["Code Review", "chat"], ranked.EnumerateArray().Select(e => e.GetProperty("category").GetString()));
    }

    [Fact]
    public void Category_keys_are_kept_verbatim()
    {
        var byCategory = Parse(ReportFactory.Build("Code Review")).GetProperty("agreement").GetProperty("byCategory");

        var keys = byCategory.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("Code Review", keys);
        Assert.DoesNotContain("code Review", keys);
    }

    [Fact]
    public void Null_values_keep_their_keys()
    {
        var empty = SynthPref.Orchestration.Agreement.AgreementCalculator.Compute([]);
        var report = ReportFactory.Build() with { Agreement = empty, Name = null };

        var root = Parse(report);
        var overall = root.GetProperty("agreement").GetProperty("overall");

        Assert.Equal(JsonValueKind.Null, root.GetProperty("name").ValueKind);
        foreach (var field in new[] { "rate", "ci95", "rateExcludingTies", "kappa" })
            Assert.Equal(JsonValueKind.Null, overall.GetProperty(field).ValueKind);
    }

    [Fact]
    public void Options_write_enums_as_camel_case_strings_and_are_frozen()
    {
        Assert.Equal("\"unparseable\"", JsonSerializer.Serialize(Preference.Unparseable, ReportJson.Options));
        Assert.Equal("\"revision\"", JsonSerializer.Serialize(PairSource.Revision, ReportJson.Options));
        Assert.True(ReportJson.Options.IsReadOnly);
        Assert.Contains("\n", ReportJson.Serialize(ReportFactory.Build())); // indented
    }
}
