using System.Text.Json;
using Microsoft.Extensions.Configuration;
using SynthPref.Cli;
using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Runs;

namespace SynthPref.Tests.Unit;

/// <summary>The report's new sections (judges, revisions, cost, budget) in JSON, HTML and the demo's summary, and the
/// configuration behind them.</summary>
public sealed class JudgeReportTests
{
    const string Evil = "<script>alert('x')</script>";

    static RunReport Full()
    {
        var report = ReportFactory.Build(lengthWarning: false);
        return report with
        {
            Agreement = report.Agreement with
            {
                ByJudge = new Dictionary<string, AgreementStats>
                {
                    ["default"] = report.Agreement.Overall,
                    ["alpha"] = AgreementCalculator.Stats([new("c", Orchestration.Judging.Preference.A, Orchestration.Judging.Preference.B)]),
                },
            },
            Judges = new JudgesReport(
                [new JudgeSummary("default", "judge", "gpt-4o", 24, 1, 2, true, false), new JudgeSummary("alpha", "judge:alpha", "llama", 24, 0, 0, true, true)],
                [new JudgePairAgreement("default", "alpha", 23, 20, 20.0 / 23)],
                [new UnparseableOutput("item-7", "default", Evil)]),
            Revisions = new RevisionReport(6, 2, "synthpref-uploads/c.json", true, 5, 2, 1),
            Budget = new BudgetReport(50_000, 51_234, true, 17),
            Cost = new CostReport(report.Cost.Tokens, new EstimatedCost(0.09m,
                new Dictionary<string, RoleCost> { ["judge"] = new("gpt-4o", 2.5m, 10m, 0.09m) }, ["judge:alpha"])),
        };
    }

    [Fact]
    public void The_html_shows_judges_revisions_cost_and_budget_with_every_text_encoded()
    {
        var html = HtmlReport.Render(Full());

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<pre class=\"unparseable\">&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;</pre>", html);
        Assert.Contains("<dt>default and alpha</dt><dd>87.0% (20 of 23 pairs)</dd>", html);
        Assert.Contains("text (structured output refused)", html);
        Assert.Contains("<dt>Regressions (left out of the dataset)</dt><dd>2</dd>", html);
        Assert.Contains("<dt>Constitution</dt><dd>synthpref-uploads/c.json</dd>", html);
        Assert.Contains("<dt>Estimated total</dt><dd>0.0900</dd>", html);
        Assert.Contains("judge:alpha", html);
        Assert.Contains("<span class=\"badge warn\">stopped the run</span>", html);
        Assert.Contains("<dt>Items skipped for the budget</dt><dd>17</dd>", html);
    }

    [Fact]
    public void A_share_on_too_few_pairs_says_so_instead_of_warning()
    {
        var report = ReportFactory.Build();
        var few = report with
        {
            Bias = report.Bias with
            {
                Format = new(Pairs: 4, FormattedPreferred: 4, Share: 1.0, Warning: false, Ci95: [0.51, 1.0], Significant: true, InsufficientData: true),
            },
        };
        var html = HtmlReport.Render(few);
        Assert.Contains("<h2>List/format bias <span class=\"badge hl\">insufficient data</span></h2>", html);
        Assert.Contains("insufficient: fewer than 10 observations, so no warning", html);
        Assert.Contains("<dt>Interval excludes 50%</dt><dd>yes</dd>", html);
    }

    [Fact]
    public void The_json_has_the_new_sections_after_the_original_ones()
    {
        var root = JsonDocument.Parse(ReportJson.Serialize(Full())).RootElement;
        Assert.Equal(["runId", "name", "pairs", "bias", "review", "agreement", "agreementBySource", "datasetRows", "cost", "judges", "revisions", "budget", "failures", "examples"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["calls", "inputTokens", "outputTokens"],
            root.GetProperty("cost").GetProperty("tokens").GetProperty("judge").EnumerateObject().Select(p => p.Name).Intersect(["calls", "inputTokens", "outputTokens"]));
        Assert.Equal(0.09m, root.GetProperty("cost").GetProperty("estimated").GetProperty("total").GetDecimal());
        Assert.Equal(20, root.GetProperty("judges").GetProperty("pairwise")[0].GetProperty("agree").GetInt32());
        Assert.Equal(["overall", "byCategory", "mostDivergent", "byJudge", "confusion", "minCategoryVotes", "tooFewVotes", "ranking", "humans"],
            root.GetProperty("agreement").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void The_demo_summary_adds_the_new_figures()
    {
        var summary = ReportSummary.Render(JsonDocument.Parse(ReportJson.Serialize(Full())).RootElement);

        Assert.Contains("Jury of 2 (majority rule): default (gpt-4o), alpha (llama)", summary);
        Assert.Contains("default and alpha agree on 87.0% of 23 pairs", summary);
        Assert.Contains("Structured output refused by alpha", summary);
        Assert.Contains("Revisions: 6 pairs, 2 round(s) each, constitution synthpref-uploads/c.json; 5 verified, 2 regressions left out of the dataset", summary);
        Assert.Contains("Estimated cost: 0.0900 (no price for judge:alpha)", summary);
        Assert.Contains("Token budget 50000: 51234 used; it stopped the run, 17 items skipped", summary);
        Assert.Contains("LLM judge: 48 calls (12 answered by the cache), 24000 input and 3000 output tokens", summary);
    }

    [Fact]
    public void The_demo_summary_says_when_votes_cannot_rank_categories_and_ranks_them_when_they_can()
    {
        // The factory's six votes: chat 4, Code Review 2; nothing reaches the default 10, so nothing is ranked.
        var few = ReportSummary.Render(JsonDocument.Parse(ReportJson.Serialize(ReportFactory.Build())).RootElement);
        Assert.DoesNotContain("Most divergent", few);
        Assert.Contains("Categories: No category has the 10 votes needed to rank it (the most any has is 4), so 6 votes over 2 categories " +
                        "cannot say which categories the judge diverges on.", few);
        Assert.Contains("Votes by judge verdict (rows) and human label (A, B, tie): judge A 3 0 1; judge B 1 1 0; judge tie 0 0 0", few);

        var votes = Enumerable.Repeat(new Vote("bad", Preference.A, Preference.B), 10)
            .Concat(Enumerable.Repeat(new Vote("good", Preference.A, Preference.A), 20)).ToList();
        var humans = HumanAgreementCalculator.Compute([new ItemLabels("bad", Preference.B, [Preference.A, Preference.A, Preference.B])]);
        var report = ReportFactory.Build() with { Agreement = AgreementCalculator.Compute(votes) with { Humans = humans } };
        var many = ReportSummary.Render(JsonDocument.Parse(ReportJson.Serialize(report)).RootElement);
        Assert.Contains("Most divergent categories (at least 10 votes each):", many);
        Assert.Matches(@"  bad +0\.0% of 10 votes.*  significantly below overall", many);
        Assert.Contains("Categories: 2 of 2 categories have at least 10 votes and are ranked; 1 is significantly below", many);
        // One item, three reviewers A, A, B: (A,A) agrees, (A,B) twice does not → 1 of 3; the judge's B matches one label of three.
        Assert.Contains("Human ceiling: reviewers agree with each other in 33.3% of 3 comparisons on 1 items", many);
        Assert.Contains("the judge agrees with them in 33.3% of 3 votes on the same items", many);
    }

    [Fact]
    public void Prices_are_read_per_model_without_regard_to_case_and_costs_are_exact()
    {
        var pricing = new LlmPricing(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pricing:gpt-4o-mini:InputPerMillion"] = "0.15",
            ["Pricing:gpt-4o-mini:OutputPerMillion"] = "0.6",
            ["Pricing:llama3.1-8b:InputPerMillion"] = "0",
            ["Pricing:broken:InputPerMillion"] = "cheap",
        }).Build());

        var price = pricing.For("GPT-4o-mini")!;
        Assert.Equal(new ModelPrice(0.15m, 0.6m), price);
        // 1,234,567 × 0.15 + 89,012 × 0.6 = 185,185.05 + 53,407.2 = 238,592.25 per million tokens.
        Assert.Equal(0.23859225m, price.Cost(1_234_567, 89_012));
        Assert.Equal(new ModelPrice(0m, 0m), pricing.For("llama3.1:8b"));
        Assert.Null(pricing.For("unknown"));
        Assert.Null(pricing.For("broken"));
        Assert.Contains("Pricing:broken", Assert.Single(pricing.Problems()));
    }

    [Fact]
    public void Blob_metadata_carries_the_new_options()
    {
        var errors = new List<FieldError>();
        var settings = RunRequests.FromMetadata(new Dictionary<string, string>
        {
            ["judges"] = "alpha, beta",
            ["structuredOutput"] = "true",
            ["revisionRounds"] = "2",
            ["verifyRevisions"] = "true",
            ["constitution"] = "synthpref-uploads/c.json",
            ["budgetTokens"] = "5000000000",
        }, errors);

        Assert.Empty(errors);
        Assert.Equal(["alpha", "beta"], settings.Judges!);
        Assert.Equal((true, 2, true, "synthpref-uploads/c.json", 5_000_000_000L),
            (settings.StructuredOutput, settings.RevisionRounds, settings.VerifyRevisions, settings.ConstitutionSource, settings.BudgetTokens));

        RunRequests.FromMetadata(new Dictionary<string, string> { ["budgetTokens"] = "lots" }, errors);
        Assert.Equal("metadata budgetTokens", Assert.Single(errors).Field);
    }
}
