using System.Net;
using SynthPref.FakeLlm;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

[Collection(PipelineCollection.Name)]
public sealed class JudgingFlowTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Report_audits_self_preference_against_the_configured_judge_model_and_format()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[]
            {
                // The host's judge model is "fake-judge".
                new { id = "own-good", prompt = $"{tag} q1", response_a = "[[good]] mine", response_b = "theirs", model_a = "fake-judge", model_b = "other" },
                new { id = "own-longer", prompt = $"{tag} q2", response_a = "one two three", response_b = "one", model_a = "FAKE-JUDGE-2025-01-01", model_b = "other" },
                new { id = "own-loses", prompt = $"{tag} q3", response_a = "short", response_b = "[[good]] reply", model_a = "fake-judge", model_b = "other" },
                new { id = "both-own", prompt = $"{tag} q4", response_a = "one two", response_b = "one", model_a = "fake-judge", model_b = "fake-judge" },
                new { id = "formatted", prompt = $"{tag} q5", response_a = "- one\n- two", response_b = "plain text" },
            },
            options = new { critiqueRevise = false, reviewSampleSize = 0 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "Completed");

        var bias = (await fixture.Api.ReportAsync(run.RunId)).GetProperty("bias");
        var self = bias.GetProperty("selfPreference");
        Assert.Equal(3, self.GetProperty("pairs").GetInt32());
        Assert.Equal(2, self.GetProperty("ownPreferred").GetInt32());
        Assert.Equal(2.0 / 3, self.GetProperty("share").GetDouble(), 6);
        // Beyond the margin, but 3 pairs cannot support a warning: insufficient data instead.
        Assert.False(self.GetProperty("warning").GetBoolean());
        Assert.True(self.GetProperty("insufficientData").GetBoolean());

        // "- one\n- two" has four words to "plain text"'s two, so the fake judge picks the formatted answer.
        var format = bias.GetProperty("format");
        Assert.Equal(1, format.GetProperty("pairs").GetInt32());
        Assert.Equal(1, format.GetProperty("formattedPreferred").GetInt32());
        Assert.Equal(1.0, format.GetProperty("share").GetDouble(), 6);
        Assert.False(format.GetProperty("warning").GetBoolean());
        Assert.True(format.GetProperty("insufficientData").GetBoolean());

        Assert.All(await fixture.PairRowsAsync(run.RunId), r => Assert.Equal("fake-judge", r.GetString("JudgeModel")));
    }

    [Fact]
    public async Task A_failed_critique_keeps_the_items_judge_pair_and_is_reported()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[]
            {
                new { id = "ok", prompt = $"{tag} fine", response_a = "[[good]] a", response_b = "b" },
                new { id = "critic-down", prompt = $"{tag} {FakeJudgeResponder.NoCritiqueMarker}", response_a = "[[good]] a", response_b = "b" },
            },
            // One item of two fails here on purpose; the default maxFailedItemsRatio (0.1) would stop the run.
            options = new { reviewSampleSize = 0, maxFailedItemsRatio = 1.0 },
        });
        var done = await fixture.Api.WaitForAsync(run.RunId, "Completed");
        Assert.Equal(3, done.GetProperty("progress").GetProperty("pairsWritten").GetInt32());
        Assert.Equal(1, done.GetProperty("progress").GetProperty("failedItems").GetInt32());

        var pairs = (await fixture.Api.ReportAsync(run.RunId)).GetProperty("pairs");
        Assert.Equal(2, pairs.GetProperty("bySource").GetProperty("judge").GetInt32());
        Assert.Equal(1, pairs.GetProperty("bySource").GetProperty("revision").GetInt32());
        Assert.Equal(1, pairs.GetProperty("failedItems").GetInt32());
        Assert.Contains("item 1 critique-revise", pairs.GetProperty("firstFailure").GetString());
        Assert.Contains("critic-down", (await fixture.Api.DatasetAsync(run.RunId)).Select(d => d.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Unparseable_judge_output_is_retried_once_then_recorded_and_left_out()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[]
            {
                new { id = "garbled", prompt = $"{tag} [[garbage]] what?", response_a = "x", response_b = "y" },
                new { id = "fine", prompt = $"{tag} fine", response_a = "[[good]] x", response_b = "y" },
            },
            options = new { critiqueRevise = false, reviewSampleSize = 10 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");

        // Two orders, each tried twice.
        Assert.Equal(4, fixture.JudgeCallsFor($"{tag} [[garbage]]"));
        var items = await fixture.Api.ReviewItemsAsync(run);
        var inputs = await fixture.Api.InputIdsAsync(run.RunId);
        Assert.Equal(["fine"], items.Select(i => inputs[i.ItemId]));

        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.CloseAsync(run.RunId, run.ReviewToken)).StatusCode);
        await fixture.Api.WaitForAsync(run.RunId, "Completed");
        var report = await fixture.Api.ReportAsync(run.RunId);
        Assert.Equal(1, report.GetProperty("pairs").GetProperty("unparseable").GetInt32());
        Assert.Equal(["fine"], (await fixture.Api.DatasetAsync(run.RunId)).Select(d => d.GetProperty("id").GetString()));

        var garbled = (await fixture.PairRowsAsync(run.RunId)).Single(r => r.GetString("InputId") == "garbled");
        Assert.Equal("Unparseable", garbled.GetString("Verdict"));
        Assert.Equal(4, garbled.GetInt32("JudgeCalls"));
    }

    [Fact]
    public async Task Prompt_only_items_get_two_generated_responses_then_are_judged()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[] { new { id = "gen", prompt = $"{tag} write a haiku" } },
            options = new { critiqueRevise = false, reviewSampleSize = 0 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "Completed");
        var row = Assert.Single(await fixture.PairRowsAsync(run.RunId));
        Assert.False(string.IsNullOrEmpty(row.GetString("ResponseA")));
        Assert.False(string.IsNullOrEmpty(row.GetString("ResponseB")));
        // The fake policy writes the same text for both samples, so both orders are one and the same request: the
        // judge answers it once, and the other order is that answer.
        Assert.Equal(1, fixture.JudgeCallsFor(tag));
        Assert.Equal(2, row.GetInt32("JudgeCalls"));
    }
}
