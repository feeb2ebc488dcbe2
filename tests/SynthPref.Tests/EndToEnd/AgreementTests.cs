using System.Net;
using System.Text.Json;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Runs;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

[Collection(PipelineCollection.Name)]
public sealed class AgreementTests(PipelineFixture fixture)
{
    /*
     Hand-worked example. Judge verdicts (fixed by the fake judge's markers) and human labels, in pair terms:

       item  category  judge | r1   r2
       m1    math      A     | A    A
       m2    math      B     | A    A
       m3    math      tie   | tie  A
       p1    poetry    A     | A    -
       p2    poetry    B     | B    -
       p3    poetry    A     | B    -

     Overall: 9 votes, agree = m1r1 m3r1 m1r2 p1r1 p2r1 = 5 → rate 5/9 = 0.5556.
       Wilson(5, 9), z = 1.959964: p = .5556, d = 1 + z²/9 = 1.42683,
       centre = (p + z²/18)/d = (.5556 + .21342)/1.42683 = .53897,
       half = z/d·sqrt(p(1−p)/9 + z²/324) = 1.37364·sqrt(.027435 + .011856) = .27228 → [.2667, .8112].
       Excluding ties (drop m3r1, m3r2: judge said tie): 7 votes, agree m1r1 m1r2 p1r1 p2r1 = 4 → .5714.
       κ: judge marginals A4 B3 T2, human A6 B2 T1; pe = (4·6 + 3·2 + 2·1)/81 = 32/81 = .39506,
          po = .55556 → κ = (.55556 − .39506)/(1 − .39506) = .26531.
     math: 6 votes, agree 3 → .5, Wilson(3,6) = [.1876, .8124]; pe = (2·5 + 2·0 + 2·1)/36 = 1/3 → κ = (.5 − .3333)/.6667 = .25.
       excluding ties: m1r1 m2r1 m1r2 m2r2 → 4 votes, 2 agree → .5.
     poetry: 3 votes, agree 2 → .6667, Wilson(2,3) = [.2077, .9385]; pe = (2·1 + 1·2)/9 = 4/9 → κ = (6/9 − 4/9)/(5/9) = .4.
     Ranking, with minCategoryVotes 4: math (6 votes) is ranked; poetry (3 votes) is listed under tooFewVotes. math does
       not diverge significantly: its upper bound .8124 is above the overall .5556.
     Confusion (rows judge, columns human, A B tie): judge A: m1r1 A, m1r2 A, p1r1 A, p3r1 B → [3, 1, 0];
       judge B: m2r1 A, m2r2 A, p2r1 B → [2, 1, 0]; judge tie: m3r1 tie, m3r2 A → [1, 0, 1]. Diagonal 3 + 1 + 1 = 5 = agree.
     Human ceiling, over m1 m2 m3 (two reviewers each; poetry has one): comparisons m1 (A,A) yes, m2 (A,A) yes,
       m3 (tie,A) no → 2 of 3 = .6667; excluding ties m1 m2 → 2 of 2 = 1.
       α: per item (m² − Σ n_uc²)/(m − 1) = 0, 0, (4 − 2)/1 = 2 → 2; n = 6, n_A = 5, n_tie = 1, n² − Σ n_c² = 36 − 26 = 10;
       α = 1 − 5 · 2/10 = 0 (the reviewers agree only as often as their label shares predict).
       Judge on the same items: m1 A vs A A → 2, m2 B vs A A → 0, m3 tie vs tie A → 1 ⇒ 3 of 6 = .5.
     Examples: from math, the ranked category, its disagreements in item order: m2 (both reviewers) and m3 (r2).
    */
    [Fact]
    public async Task Agreement_figures_match_the_hand_worked_example()
    {
        var run = await HandWorkedRunAsync(fixture);

        var agreement = (await fixture.Api.ReportAsync(run.RunId)).GetProperty("agreement");
        AssertStats(agreement.GetProperty("overall"), votes: 9, agree: 5, rate: 5.0 / 9, ciLow: .26665, ciHigh: .81122,
            votesExTies: 7, rateExTies: 4.0 / 7, kappa: .26531);
        AssertStats(agreement.GetProperty("byCategory").GetProperty("math"), 6, 3, .5, .18762, .81238, 4, .5, .25);
        AssertStats(agreement.GetProperty("byCategory").GetProperty("poetry"), 3, 2, 2.0 / 3, .20766, .93851, 3, 2.0 / 3, .4);

        Assert.Equal(4, agreement.GetProperty("minCategoryVotes").GetInt32());
        var math = Assert.Single(agreement.GetProperty("mostDivergent").EnumerateArray());
        Assert.Equal(("math", 6, 3), (math.GetProperty("category").GetString(), math.GetProperty("votes").GetInt32(), math.GetProperty("agree").GetInt32()));
        Assert.False(math.GetProperty("divergesSignificantly").GetBoolean());
        var poetry = Assert.Single(agreement.GetProperty("tooFewVotes").EnumerateArray());
        Assert.Equal(("poetry", 3), (poetry.GetProperty("category").GetString(), poetry.GetProperty("votes").GetInt32()));
        Assert.StartsWith("1 of 2 categories has at least 4 votes and is ranked", agreement.GetProperty("ranking").GetString());

        var confusion = agreement.GetProperty("confusion").GetProperty("counts");
        Assert.Equal([[3, 1, 0], [2, 1, 0], [1, 0, 1]],
            confusion.EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetInt32()).ToArray()).ToArray());

        var humans = agreement.GetProperty("humans");
        Assert.Equal((3, 6, 3, 2), (humans.GetProperty("items").GetInt32(), humans.GetProperty("labels").GetInt32(),
            humans.GetProperty("comparisons").GetInt32(), humans.GetProperty("agree").GetInt32()));
        Assert.Equal(2.0 / 3, humans.GetProperty("rate").GetDouble(), 1e-9);
        Assert.Equal(1.0, humans.GetProperty("rateExcludingTies").GetDouble(), 1e-9);
        Assert.Equal(0.0, humans.GetProperty("krippendorffAlpha").GetDouble(), 1e-9);
        var judge = humans.GetProperty("judgeOnSameItems");
        Assert.Equal((6, 3), (judge.GetProperty("votes").GetInt32(), judge.GetProperty("agree").GetInt32()));

        var examples = (await fixture.Api.ReportAsync(run.RunId)).GetProperty("examples");
        Assert.True(examples.GetProperty("fromRankedCategories").GetBoolean());
        Assert.Equal(["m2", "m3"], examples.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("inputId").GetString()));
        var m2 = examples.GetProperty("items")[0];
        Assert.Equal("b", m2.GetProperty("judge").GetString());
        Assert.Equal([("r1", "a"), ("r2", "a")], m2.GetProperty("humans").EnumerateArray()
            .Select(h => (h.GetProperty("reviewer").GetString(), h.GetProperty("label").GetString())));
        Assert.EndsWith("m2", m2.GetProperty("prompt").GetString());

        // Every sampled pair here is a judge pair.
        var bySource = (await fixture.Api.ReportAsync(run.RunId)).GetProperty("agreementBySource");
        Assert.Equal(9, bySource.GetProperty("judge").GetProperty("votes").GetInt32());
        Assert.Equal(0, bySource.GetProperty("revision").GetProperty("votes").GetInt32());
    }

    /// <summary>The hand-worked run above, through the API: started, labelled by r1 and r2, closed and reported.</summary>
    internal static async Task<StartRunResponse> HandWorkedRunAsync(TestPipeline fixture)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[]
            {
                new { id = "m1", prompt = $"{tag} m1", category = "math", response_a = "[[good]] m1a", response_b = "m1b" },
                new { id = "m2", prompt = $"{tag} m2", category = "math", response_a = "m2a", response_b = "[[good]] m2b" },
                new { id = "m3", prompt = $"{tag} m3 [[tie]]", category = "math", response_a = "m3a", response_b = "m3b" },
                new { id = "p1", prompt = $"{tag} p1", category = "poetry", response_a = "[[good]] p1a", response_b = "p1b" },
                new { id = "p2", prompt = $"{tag} p2", category = "poetry", response_a = "p2a", response_b = "[[good]] p2b" },
                new { id = "p3", prompt = $"{tag} p3", category = "poetry", response_a = "[[good]] p3a", response_b = "p3b" },
            },
            options = new { critiqueRevise = false, reviewSampleSize = 20, minReviewsPerItem = 3, seed = 7, minCategoryVotes = 4 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");
        var inputs = await fixture.Api.InputIdsAsync(run.RunId);
        var items = (await fixture.Api.ReviewItemsAsync(run)).ToDictionary(i => inputs[i.ItemId]);
        Assert.Equal(6, items.Count);

        var labels = new (string Reviewer, string Input, string Pref)[]
        {
            ("r1", "m1", "A"), ("r1", "m2", "A"), ("r1", "m3", "tie"), ("r1", "p1", "A"), ("r1", "p2", "B"), ("r1", "p3", "B"),
            ("r2", "m1", "A"), ("r2", "m2", "A"), ("r2", "m3", "A"),
        };
        foreach (var (reviewer, input, pref) in labels)
        {
            var item = items[input];
            var response = await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken,
                new { itemId = item.ItemId, reviewer, preference = Shown(item, pref) });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.CloseAsync(run.RunId, run.ReviewToken)).StatusCode);
        await fixture.Api.WaitForAsync(run.RunId, "Completed");
        return run;
    }

    /// <summary>Turns a preference in the pair's own terms into what the reviewer clicks for this item's display order.</summary>
    static string Shown(ReviewItemView item, string pref)
    {
        if (pref == "tie") return "tie";
        var aShownFirst = item.First.EndsWith("a", StringComparison.Ordinal);
        return (pref == "A") == aShownFirst ? "first" : "second";
    }

    static void AssertStats(JsonElement s, int votes, int agree, double rate, double ciLow, double ciHigh,
        int votesExTies, double rateExTies, double kappa)
    {
        Assert.Equal(votes, s.GetProperty("votes").GetInt32());
        Assert.Equal(agree, s.GetProperty("agree").GetInt32());
        Assert.Equal(rate, s.GetProperty("rate").GetDouble(), 1e-4);
        var ci = s.GetProperty("ci95").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(ciLow, ci[0], 1e-4);
        Assert.Equal(ciHigh, ci[1], 1e-4);
        Assert.Equal(votesExTies, s.GetProperty("votesExcludingTies").GetInt32());
        Assert.Equal(rateExTies, s.GetProperty("rateExcludingTies").GetDouble(), 1e-4);
        Assert.Equal(kappa, s.GetProperty("kappa").GetDouble(), 1e-4);
    }
}
