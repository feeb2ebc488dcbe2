using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Revision;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>Through the local host's HTTP API: revision rounds with a constitution and verification, the token budget,
/// option checks, and a reviser of its own (the jury and structured output are <see cref="JuryScenarios"/>).</summary>
[Collection(PipelineCollection.Name)]
public sealed class JudgeAndReviserTests(PipelineFixture fixture)
{
    [Fact]
    public async Task An_unknown_judge_and_options_out_of_range_are_refused_with_a_400_naming_them()
    {
        var response = await fixture.Api.PostRunAsync(new
        {
            items = new object[] { new { prompt = "p", response_a = "a", response_b = "b" } },
            options = new { judges = new[] { "alpha", "nobody" }, revisionRounds = 5, budgetTokens = 0, minCategoryVotes = 0 },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains("unknown judge 'nobody'", errors.GetProperty("options.judges")[0].GetString());
        Assert.Contains("1 to 4", errors.GetProperty("options.revisionRounds")[0].GetString());
        Assert.Contains("at least 1", errors.GetProperty("options.budgetTokens")[0].GetString());
        Assert.Contains("at least 1 (got 0)", errors.GetProperty("options.minCategoryVotes")[0].GetString());
    }

    [Fact]
    public async Task The_token_budget_stops_new_items_and_the_run_completes_on_what_it_has()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var items = Enumerable.Range(0, 40).Select(i => (object)new
        {
            id = $"i{i}", prompt = $"{tag} prompt {i}", response_a = $"answer {i} with more words", response_b = $"answer {i}",
        }).ToArray();
        var run = await fixture.Api.StartAsync(new { items, options = new { critiqueRevise = false, reviewSampleSize = 0, budgetTokens = 1 } });
        var done = await fixture.Api.WaitForAsync(run.RunId, "Completed");

        var progress = done.GetProperty("progress");
        var pairs = progress.GetProperty("pairsWritten").GetInt32();
        var skipped = progress.GetProperty("skippedForBudget").GetInt32();
        Assert.Equal(1, progress.GetProperty("budgetTokens").GetInt64());
        // Only the items already started when the first result crossed the budget were judged.
        Assert.InRange(pairs, 1, 20);
        Assert.Equal(items.Length, pairs + skipped);
        Assert.Equal(pairs * 2, fixture.JudgeCallsFor(tag));

        var report = await fixture.Api.ReportAsync(run.RunId);
        var budget = report.GetProperty("budget");
        Assert.True(budget.GetProperty("stopped").GetBoolean());
        Assert.Equal(skipped, budget.GetProperty("skippedForBudget").GetInt32());
        Assert.Equal(skipped, report.GetProperty("pairs").GetProperty("skippedForBudget").GetInt32());
        Assert.True(budget.GetProperty("usedTokens").GetInt64() >= 1);
        Assert.Equal(pairs, (await fixture.Api.DatasetAsync(run.RunId)).Length);
        Assert.Contains("stopped the run", await fixture.Api.Http.GetStringAsync($"/api/runs/{run.RunId}/report.html"));

        // A budget the run never reaches stops nothing.
        var roomy = await fixture.Api.StartAsync(new { items = items.Take(3).ToArray(), options = new { critiqueRevise = false, reviewSampleSize = 0, budgetTokens = 10_000_000 } });
        await fixture.Api.WaitForAsync(roomy.RunId, "Completed");
        var unspent = (await fixture.Api.ReportAsync(roomy.RunId)).GetProperty("budget");
        Assert.False(unspent.GetProperty("stopped").GetBoolean());
        Assert.Equal(0, unspent.GetProperty("skippedForBudget").GetInt32());
    }

    [Fact]
    public async Task Revision_rounds_draw_seeded_principles_and_verification_keeps_regressions_out_of_the_dataset()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[]
            {
                new { id = "fine", prompt = $"{tag} explain", response_a = "first draft words", response_b = "[[good]] other" },
                new { id = "regress", prompt = $"{tag} {FakeJudgeResponder.RegressMarker} explain", response_a = "a fairly long original answer" },
            },
            options = new { revisionRounds = 3, verifyRevisions = true, seed = 1234, reviewSampleSize = 0 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "Completed");

        var rows = await fixture.PairRowsAsync(run.RunId);
        var fine = rows.Single(r => r.GetString("InputId") == "fine" && r.GetString("Source") == "Revision");
        Assert.Equal("(improved) (improved) (improved) first draft words", fine.GetString("ResponseA"));
        var rounds = JuryScenarios.Details(fine).GetProperty("rounds");
        Assert.Equal(3, rounds.GetArrayLength());
        Assert.Equal(Enumerable.Range(1, 3).Select(r => Constitution.Default.For(1234, "fine", r).Name),
            rounds.EnumerateArray().Select(r => r.GetProperty("principle").GetString()));
        Assert.Equal("(improved) (improved) first draft words", rounds[1].GetProperty("revision").GetString());
        Assert.Equal(FakeJudgeResponder.CritiqueText, rounds[2].GetProperty("critique").GetString());
        Assert.Equal("A", JuryScenarios.Details(fine).GetProperty("verification").GetProperty("verdict").GetString());

        var regress = rows.Single(r => r.GetString("InputId") == "regress");
        Assert.True(regress.GetBoolean("RevisionRegression"));
        Assert.Equal("B", JuryScenarios.Details(regress).GetProperty("verification").GetProperty("verdict").GetString());

        // Each round is a critique and a revision; each critique asks the seed's question and the round's principle.
        var critiques = fixture.Llm.Requests.Where(r => r.Messages.Any(m => m.Text.Contains($"{tag} explain"))
            && r.Messages[^1].Text.StartsWith(CritiquePrompts.CritiqueMarker, StringComparison.Ordinal)).ToList();
        Assert.Equal(3, critiques.Count);
        Assert.All(critiques, c => Assert.Contains("accuracy, completeness or safety", c.Messages[^1].Text));
        Assert.Contains(critiques, c => c.Messages[^1].Text.Contains(Constitution.Default.For(1234, "fine", 1).Critique));
        // The verification is the judge's, in both orders, on the final revision against the original.
        Assert.Equal(2 + 2, fixture.JudgeCallsFor($"{tag} explain"));

        var dataset = await fixture.Api.DatasetAsync(run.RunId);
        Assert.Equal([("fine", "judge"), ("fine", "revision")],
            dataset.Select(d => (d.GetProperty("id").GetString(), d.GetProperty("source").GetString())));

        var revisions = (await fixture.Api.ReportAsync(run.RunId)).GetProperty("revisions");
        Assert.Equal((2, 3, "default", true, 2, 1), (revisions.GetProperty("pairs").GetInt32(), revisions.GetProperty("rounds").GetInt32(),
            revisions.GetProperty("constitution").GetString(), revisions.GetProperty("verify").GetBoolean(),
            revisions.GetProperty("verified").GetInt32(), revisions.GetProperty("regressions").GetInt32()));
    }

    [Fact]
    public async Task A_run_may_name_its_own_constitution_which_is_checked_and_copied()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var uploads = fixture.Container("synthpref-uploads");
        await uploads.CreateIfNotExistsAsync();
        var path = $"constitutions/{tag}.json";
        await uploads.GetBlobClient(path).UploadAsync(BinaryData.FromString("""
            {"name": "ours", "principles": [
              {"name": "mine-1", "critique": "Is it polite?", "revision": "Make it polite."},
              {"name": "mine-2", "critique": "Is it short?", "revision": "Make it short."}]}
            """));
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[] { new { id = "only-a", prompt = $"{tag} greet", response_a = "hello there" } },
            options = new { constitution = $"synthpref-uploads/{path}", revisionRounds = 2, reviewSampleSize = 0 },
        });
        // A later change to the blob cannot change the run: it reads its own copy.
        await uploads.GetBlobClient(path).UploadAsync(BinaryData.FromString("""{"principles": [{"name": "changed", "critique": "c", "revision": "r"}]}"""), overwrite: true);
        await fixture.Api.WaitForAsync(run.RunId, "Completed");

        var row = Assert.Single(await fixture.PairRowsAsync(run.RunId));
        Assert.All(JuryScenarios.Details(row).GetProperty("rounds").EnumerateArray(),
            r => Assert.Contains(r.GetProperty("principle").GetString(), new[] { "mine-1", "mine-2" }));
        Assert.Equal($"synthpref-uploads/{path}", (await fixture.Api.ReportAsync(run.RunId)).GetProperty("revisions").GetProperty("constitution").GetString());

        async Task<string> RefusedAsync(string constitution)
        {
            var response = await fixture.Api.PostRunAsync(new
            {
                items = new object[] { new { prompt = "p", response_a = "a" } },
                options = new { constitution },
            });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("options.constitution")[0].GetString()!;
        }
        await uploads.GetBlobClient($"constitutions/{tag}-bad.json").UploadAsync(BinaryData.FromString("""{"principles": [{"name": "x"}]}"""));
        Assert.Contains("principles[0].critique: required", await RefusedAsync($"synthpref-uploads/constitutions/{tag}-bad.json"));
        Assert.Contains("does not exist", await RefusedAsync($"synthpref-uploads/constitutions/{tag}-missing.json"));
        Assert.Contains("runs' own copies", await RefusedAsync($"synthpref-runs/{run.RunId}/constitution.json"));
    }

    [Fact]
    public async Task A_reviser_section_of_its_own_takes_the_critiques_and_the_judge_only_judges()
    {
        await using var reviser = await FakeOpenAiServer.StartAsync(FakeJudgeResponder.Create(JudgePrompt.TryExtract));
        await using var host = fixture.CreateHost("reviser" + Guid.NewGuid().ToString("N")[..6], fixture.Llm.BaseUrl, new Dictionary<string, string>
        {
            ["Reviser__Provider"] = "OpenAICompatible",
            ["Reviser__Endpoint"] = reviser.BaseUrl.ToString(),
            ["Reviser__Model"] = "fake-reviser",
            ["BlobTrigger__Enabled"] = "false",
        });
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());
        var tag = Guid.NewGuid().ToString("N")[..8];

        var run = await api.StartAsync(new
        {
            items = new object[] { new { id = "x", prompt = $"{tag} explain", response_a = "draft", response_b = "[[good]] other" } },
            options = new { reviewSampleSize = 0 },
        });
        await api.WaitForAsync(run.RunId, "Completed");

        // One critique and one revision on the reviser's server, none on the judge's; the judge's two calls there.
        Assert.Equal(2, reviser.Requests.Count(r => r.Messages.Any(m => m.Text.Contains(tag))));
        Assert.All(reviser.Requests, r => Assert.Equal("fake-reviser", r.Model));
        Assert.Equal(0, fixture.Llm.Requests.Count(r => r.Messages.Any(m => m.Text.Contains(tag))
            && r.Messages[^1].Text.Contains(CritiquePrompts.CritiqueMarker, StringComparison.Ordinal)));
        Assert.Equal(2, fixture.JudgeCallsFor(tag));
        var tokens = (await api.ReportAsync(run.RunId)).GetProperty("cost").GetProperty("tokens");
        Assert.Equal(2, tokens.GetProperty("reviser").GetProperty("calls").GetInt32());
        Assert.Equal(2, tokens.GetProperty("judge").GetProperty("calls").GetInt32());
    }
}
