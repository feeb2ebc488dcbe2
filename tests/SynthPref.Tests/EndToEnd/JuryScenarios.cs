using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Api;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>A jury (with its prices and agreement by judge) and structured output with its fallback, on both hosts.</summary>
public abstract class JuryScenarios(TestPipeline fixture)
{
    [Collection(PipelineCollection.Name)]
    public sealed class OnLocalHost(PipelineFixture fixture) : JuryScenarios(fixture);

    [Collection(FunctionsHostCollection.Name), Trait("Host", HostKinds.Functions)]
    public sealed class OnFunctionsHost : JuryScenarios
    {
        public OnFunctionsHost(FunctionsPipelineFixture fixture) : base(fixture) => FunctionsPipelineFixture.SkipUnlessAvailable();
    }

    internal static JsonElement Details(TableEntity row) => JsonDocument.Parse(row.GetString("Details")!).RootElement;

    /// <summary>Labels each sampled item with what an honest reader of the fake's markers would choose.</summary>
    async Task LabelAsync(StartRunResponse run, Func<string, string> preferredText)
    {
        var inputs = await fixture.Api.InputIdsAsync(run.RunId);
        foreach (var item in await fixture.Api.ReviewItemsAsync(run))
        {
            var winner = preferredText(inputs[item.ItemId]);
            var preference = winner == "tie" ? "tie" : item.First == winner ? "first" : "second";
            Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken,
                new { itemId = item.ItemId, reviewer = "ann", preference })).StatusCode);
        }
    }

    [SkippableFact]
    public async Task A_jury_judges_every_pair_in_both_orders_and_the_majority_decides()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var items = new[]
        {
            new { id = "good-a", prompt = $"{tag} q1", response_a = "[[good]] a", response_b = "b" },
            new { id = "good-b", prompt = $"{tag} q2", response_a = "a", response_b = "[[good]] b" },
            new { id = "tie", prompt = $"{tag} q3 [[tie]]", response_a = "one", response_b = "two" },
            new { id = "longer-a", prompt = $"{tag} q4", response_a = "one two three four", response_b = "one" },
        };
        var run = await fixture.Api.StartAsync(new
        {
            items,
            options = new { judges = new[] { "default", "Alpha", "contrarian" }, critiqueRevise = false, reviewSampleSize = 10 },
        });
        var judged = await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");

        // Every judge, both orders, each on its own model: 4 pairs × 2 orders per judge.
        foreach (var model in new[] { "fake-judge", "fake-alpha", "fake-contrarian" })
            Assert.Equal(8, fixture.Llm.Requests.Count(r => r.Model == model && r.Messages.Any(m => m.Text.Contains(tag))));
        // The status shows running totals by role, each judge under its own name (as configured: "alpha").
        var byRole = judged.GetProperty("progress").GetProperty("llm").GetProperty("byRole");
        Assert.Equal(8, byRole.GetProperty("judge").GetProperty("calls").GetInt32());
        Assert.Equal(8, byRole.GetProperty("judge:alpha").GetProperty("calls").GetInt32());
        Assert.True(byRole.GetProperty("judge:contrarian").GetProperty("inputTokens").GetInt64() > 0);

        var rows = (await fixture.PairRowsAsync(run.RunId)).ToDictionary(r => r.GetString("InputId")!);
        Assert.Equal("A", rows["good-a"].GetString("Verdict"));   // A, A, B
        Assert.Equal("B", rows["good-b"].GetString("Verdict"));   // B, B, A
        Assert.Equal("Tie", rows["tie"].GetString("Verdict"));    // all tie
        Assert.Equal("A", rows["longer-a"].GetString("Verdict")); // A, A, B
        var judges = Details(rows["good-a"]).GetProperty("judges");
        Assert.Equal(["default", "alpha", "contrarian"], judges.EnumerateArray().Select(j => j.GetProperty("name").GetString()));
        Assert.Equal(["A", "A", "B"], judges.EnumerateArray().Select(j => j.GetProperty("verdict").GetString()));
        Assert.Equal(["High", "High", "High"], judges.EnumerateArray().Select(j => j.GetProperty("confidence").GetString()));
        Assert.All(judges.EnumerateArray(), j => Assert.StartsWith("fake judge rule", j.GetProperty("reasoning").GetString()));
        Assert.Equal("fake-judge, fake-alpha, fake-contrarian", rows["good-a"].GetString("JudgeModel"));

        var byInput = items.ToDictionary(i => i.id);
        await LabelAsync(run, id => id switch
        {
            "good-a" or "longer-a" => byInput[id].response_a,
            "good-b" => byInput[id].response_b,
            _ => "tie",
        });
        await fixture.Api.WaitForAsync(run.RunId, "Completed");
        var report = await fixture.Api.ReportAsync(run.RunId);

        var agreement = report.GetProperty("agreement");
        Assert.Equal(4, agreement.GetProperty("overall").GetProperty("agree").GetInt32());
        var byJudge = agreement.GetProperty("byJudge");
        Assert.Equal(1.0, byJudge.GetProperty("default").GetProperty("rate").GetDouble());
        Assert.Equal(1.0, byJudge.GetProperty("alpha").GetProperty("rate").GetDouble());
        // The contrarian agrees with the reviewers on the tie only.
        Assert.Equal(4, byJudge.GetProperty("contrarian").GetProperty("votes").GetInt32());
        Assert.Equal(1, byJudge.GetProperty("contrarian").GetProperty("agree").GetInt32());
        foreach (var field in new[] { "votes", "agree", "rate", "ci95", "votesExcludingTies", "rateExcludingTies", "kappa" })
            Assert.True(byJudge.GetProperty("alpha").TryGetProperty(field, out _), field);

        var pairwise = report.GetProperty("judges").GetProperty("pairwise").EnumerateArray()
            .Select(p => (p.GetProperty("a").GetString(), p.GetProperty("b").GetString(), p.GetProperty("pairs").GetInt32(), p.GetProperty("agree").GetInt32()))
            .ToList();
        Assert.Equal([("default", "alpha", 4, 4), ("default", "contrarian", 4, 1), ("alpha", "contrarian", 4, 1)], pairwise);
        Assert.Equal(0.25, report.GetProperty("judges").GetProperty("pairwise")[1].GetProperty("rate").GetDouble());

        // Tokens by role, and a cost for the role whose model has a price (fake-judge: 2.5 in, 10 out per million).
        var tokens = report.GetProperty("cost").GetProperty("tokens");
        Assert.Equal(8, tokens.GetProperty("judge:contrarian").GetProperty("calls").GetInt32());
        var judge = tokens.GetProperty("judge");
        var expected = (judge.GetProperty("inputTokens").GetInt64() * 2.5m + judge.GetProperty("outputTokens").GetInt64() * 10m) / 1_000_000m;
        var estimated = report.GetProperty("cost").GetProperty("estimated");
        Assert.Equal(expected, estimated.GetProperty("byRole").GetProperty("judge").GetProperty("cost").GetDecimal());
        Assert.Equal(expected, estimated.GetProperty("total").GetDecimal());
        Assert.Equal(["judge:alpha", "judge:contrarian"], estimated.GetProperty("unpriced").EnumerateArray().Select(e => e.GetString()));

        var html = await fixture.Api.Http.GetStringAsync($"/api/runs/{run.RunId}/report.html");
        Assert.Contains("<h2>Judges</h2>", html);
        Assert.Contains("<dt>default and contrarian</dt><dd>25.0% (1 of 4 pairs)</dd>", html);
        Assert.Contains("<h2>LLM calls and tokens</h2>", html);
    }

    [SkippableFact]
    public async Task Structured_output_falls_back_to_text_for_a_refusing_judge_for_the_rest_of_the_run()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var items = Enumerable.Range(0, 30).Select(i => (object)new
        {
            id = $"i{i}", prompt = $"{tag} q{i:D2}", response_a = i % 2 == 0 ? "[[good]] a" : "a", response_b = i % 2 == 0 ? "b" : "[[good]] b",
        }).Append(new { id = "garbled", prompt = $"{tag} [[garbage]]", response_a = "x", response_b = "y" }).ToArray();
        var run = await fixture.Api.StartAsync(new
        {
            items,
            options = new { judges = new[] { "default", "noschema" }, structuredOutput = true, critiqueRevise = false, reviewSampleSize = 0 },
        });
        var done = await fixture.Api.WaitForAsync(run.RunId, "Completed");
        Assert.Equal(["noschema"], done.GetProperty("progress").GetProperty("textOnlyJudges").EnumerateArray().Select(j => j.GetString()));

        bool AskedJson(FakeRequest r) => r.ResponseFormat?["type"]?.GetValue<string>() == "json_schema";
        List<FakeRequest> Calls(string model, string marker) =>
            fixture.Llm.Requests.Where(r => r.Model == model && r.Messages.Any(m => m.Text.Contains(marker))).ToList();

        // The default judge is asked for JSON throughout; the refusing judge only until the run learns it refuses.
        Assert.All(Calls("fake-judge", tag), r => Assert.True(AskedJson(r)));
        var refused = Calls("fake-noschema", tag).Count(AskedJson);
        Assert.InRange(refused, 1, items.Length - 1);
        // The last items start long after the first result carried the fallback back to the orchestration.
        Assert.All(Calls("fake-noschema", $"{tag} q29"), r => Assert.False(AskedJson(r)));

        var rows = (await fixture.PairRowsAsync(run.RunId)).ToDictionary(r => r.GetString("InputId")!);
        Assert.All(rows.Where(r => r.Key != "garbled"), r => Assert.Equal(int.Parse(r.Key[1..]) % 2 == 0 ? "A" : "B", r.Value.GetString("Verdict")));
        var judges = Details(rows["i29"]).GetProperty("judges");
        Assert.True(judges[0].GetProperty("structured").GetBoolean());
        Assert.False(judges[1].GetProperty("structured").GetBoolean());

        // The unparseable answers are kept with the pair: both orders, each asked twice.
        var garbled = Details(rows["garbled"]).GetProperty("judges");
        Assert.Equal("Unparseable", rows["garbled"].GetString("Verdict"));
        Assert.All(garbled.EnumerateArray(), j => Assert.Equal(4, j.GetProperty("unparseableOutputs").GetArrayLength()));
        Assert.Equal(FakeJudgeResponder.GarbageText, garbled[0].GetProperty("unparseableOutputs")[0].GetString());

        var report = await fixture.Api.ReportAsync(run.RunId);
        var panel = report.GetProperty("judges").GetProperty("panel");
        Assert.Equal((true, false), (panel[0].GetProperty("structuredOutput").GetBoolean(), panel[0].GetProperty("fellBackToText").GetBoolean()));
        Assert.Equal((true, true), (panel[1].GetProperty("structuredOutput").GetBoolean(), panel[1].GetProperty("fellBackToText").GetBoolean()));
        Assert.Equal(1, panel[1].GetProperty("unparseable").GetInt32());
        var examples = report.GetProperty("judges").GetProperty("unparseableExamples");
        Assert.InRange(examples.GetArrayLength(), 1, 5);
        Assert.Equal("garbled", examples[0].GetProperty("inputId").GetString());
        Assert.Equal(FakeJudgeResponder.GarbageText, examples[0].GetProperty("output").GetString());
        Assert.Contains("text (structured output refused)", await fixture.Api.Http.GetStringAsync($"/api/runs/{run.RunId}/report.html"));
    }
}
