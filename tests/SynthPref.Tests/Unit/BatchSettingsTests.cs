using Microsoft.Extensions.Configuration;
using SynthPref.Orchestration.Batch;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Settings;

namespace SynthPref.Tests.Unit;

/// <summary>Batch settings, the decision which roles a run batches, and batch prices, against hand-worked examples.</summary>
public sealed class BatchSettingsTests
{
    static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    static readonly (string, string)[] OpenAi = [("Llm:Provider", "OpenAICompatible"), ("Llm:Endpoint", "http://127.0.0.1:1/v1"), ("Llm:Model", "m")];

    static BatchPlanner Planner(params (string, string)[] values) => new(new LlmSections(Config([.. OpenAi, .. values])));

    [Fact]
    public void Batch_prices_default_to_half_the_live_ones_and_a_mixed_usage_is_priced_part_by_part()
    {
        var pricing = new LlmPricing(Config(("Pricing:m:InputPerMillion", "2.5"), ("Pricing:m:OutputPerMillion", "10"),
            ("Pricing:n:InputPerMillion", "2"), ("Pricing:n:OutputPerMillion", "8"), ("Pricing:n:BatchInputPerMillion", "0.5")));
        Assert.Equal(new ModelPrice(2.5m, 10m, 1.25m, 5m), pricing.For("m"));
        Assert.Equal(new ModelPrice(2m, 8m, 0.5m, 4m), pricing.For("n"));
        Assert.Empty(pricing.Problems());

        // 1,000,000 input tokens of which 600,000 came by batch, 200,000 output of which 100,000:
        // live 400,000 × 2.5 + 100,000 × 10 = 2.00; batch 600,000 × 1.25 + 100,000 × 5 = 1.25 (per million); at live prices 4.50.
        var usage = new LlmUsage(InputTokens: 1_000_000, OutputTokens: 200_000, BatchInputTokens: 600_000, BatchOutputTokens: 100_000);
        Assert.Equal(3.25m, pricing.For("m")!.Cost(usage));
        Assert.Equal(4.50m, pricing.For("m")!.Cost(usage.InputTokens, usage.OutputTokens));
        // Without batch tokens the price is what it always was.
        Assert.Equal(4.50m, pricing.For("m")!.Cost(new LlmUsage(InputTokens: 1_000_000, OutputTokens: 200_000)));
    }

    [Fact]
    public void An_unreadable_batch_price_is_reported_by_key()
    {
        var pricing = new LlmPricing(Config(("Pricing:m:InputPerMillion", "2.5"), ("Pricing:m:BatchOutputPerMillion", "cheap")));
        Assert.Null(pricing.For("m"));
        Assert.Contains("Pricing:m: BatchInputPerMillion and BatchOutputPerMillion must be non-negative numbers", Assert.Single(pricing.Problems()));
    }

    [Fact]
    public void Cache_hits_are_what_neither_a_call_a_batch_answer_nor_a_refusal_answered()
    {
        Assert.Equal(3, new LlmUsage(Requests: 10, Calls: 4, BatchAnswers: 2, Unanswered: 1).CacheHits);
        Assert.Equal(new LlmUsage(3, 2, 30, 20, 1, 10, 5, 1, 1, 1),
            new LlmUsage(1, 1, 10, 10, 0, 0, 0, 1, 0, 1).Add(new LlmUsage(2, 1, 20, 10, 1, 10, 5, 0, 1, 0)));
    }

    [Fact]
    public void Batch_settings_that_cannot_work_are_configuration_errors_naming_their_key()
    {
        Assert.Contains("Llm:Batch needs a provider with a Batch API (AzureOpenAI or OpenAICompatible), not Replay",
            new LlmOptions { Provider = LlmProvider.Replay, ReplayFile = typeof(BatchSettingsTests).Assembly.Location, Batch = true }.Validate());
        Assert.Contains("Judges:a:BatchDeployment is required to batch on AzureOpenAI: name a global-batch deployment",
            new LlmOptions { Provider = LlmProvider.AzureOpenAI, Endpoint = "https://x.openai.azure.com/", Model = "m", Batch = true }.Validate("Judges:a"));
        var errors = new LlmOptions { Provider = LlmProvider.OpenAICompatible, Endpoint = "http://h/v1", BatchPollSeconds = 0, BatchMaxRequests = 0 }.Validate();
        Assert.Contains("Llm:BatchPollSeconds must be 1 to 600 (was 0)", errors);
        Assert.Contains("Llm:BatchMaxRequests must be at least 1 (was 0)", errors);
        Assert.Empty(new LlmOptions
        {
            Provider = LlmProvider.AzureOpenAI, Endpoint = "https://x.openai.azure.com/", Model = "m", Batch = true,
            BatchDeployment = "m-batch"
        }.Validate());
    }

    [Fact]
    public void Each_section_decides_unless_the_run_says_and_its_contradictions_are_the_callers_errors()
    {
        string[] roles = [LlmRoles.Judge, LlmRoles.ForJudge("strict"), LlmRoles.Reviser, LlmRoles.Policy];
        var planner = Planner(("Llm:Batch", "true"), ("Llm:BatchPollSeconds", "30"),
            ("Judges:strict:Provider", "OpenAICompatible"), ("Judges:strict:Endpoint", "http://127.0.0.1:2/v1"), ("Judges:strict:Model", "s"),
            ("Judges:strict:BatchFallback", "Fail"), ("Judges:strict:BatchPollSeconds", "5"),
            ("Reviser:Provider", "Replay"), ("Reviser:ReplayFile", "r.jsonl"));

        // Configured: the Llm section batches (the judge, and the policy that falls back to it); the others do not.
        var configured = planner.Decide(option: null, cache: true, budgetTokens: null, roles).Plan!;
        Assert.Equal([new BatchRole("judge", "Llm", true), new BatchRole("policy", "Llm", true)], configured.Roles);
        Assert.Equal(30, configured.PollSeconds);

        // batch: true batches every section with a Batch API (the replay reviser stays live), each with its fallback.
        var asked = planner.Decide(option: true, cache: true, budgetTokens: null, roles).Plan!;
        Assert.Equal([new BatchRole("judge", "Llm", true), new BatchRole("judge:strict", "Judges:strict", false), new BatchRole("policy", "Llm", true)],
            asked.Roles);
        Assert.Equal(["judge:strict"], asked.NoLiveFallback);
        Assert.Equal(5, asked.PollSeconds);

        Assert.Null(planner.Decide(option: false, cache: true, budgetTokens: null, roles).Plan);
        // Configured on, a run without the cache or with a budget goes live; asked for, that is a contradiction.
        Assert.Null(planner.Decide(option: null, cache: false, budgetTokens: null, roles).Plan);
        Assert.Null(planner.Decide(option: null, cache: true, budgetTokens: 1000, roles).Plan);
        var contradicted = planner.Decide(option: true, cache: false, budgetTokens: 1000, roles);
        Assert.Null(contradicted.Plan);
        Assert.Equal(2, contradicted.RequestErrors.Count);
        Assert.Contains("needs cache: true", contradicted.RequestErrors[0]);
        Assert.Contains("budgetTokens", contradicted.RequestErrors[1]);
    }

    [Fact]
    public void An_azure_section_asked_to_batch_without_a_batch_deployment_is_the_hosts_problem()
    {
        var planner = new BatchPlanner(new LlmSections(Config(("Llm:Provider", "AzureOpenAI"), ("Llm:Endpoint", "https://x.openai.azure.com/"),
            ("Llm:Model", "m"))));
        var decision = planner.Decide(option: true, cache: true, budgetTokens: null, [LlmRoles.Judge]);
        Assert.Null(decision.Plan);
        Assert.Empty(decision.RequestErrors);
        Assert.Equal(["Llm:BatchDeployment is required to batch on AzureOpenAI: name a global-batch deployment"], decision.HostProblems);
    }

    [Fact]
    public void The_batch_option_is_read_from_blob_metadata()
    {
        var errors = new List<FieldError>();
        Assert.True(RequestedOptions.FromMetadata(new Dictionary<string, string> { ["Batch"] = "true" }, errors).Bool(RunOptionsParser.Batch));
        Assert.Null(RequestedOptions.FromMetadata(new Dictionary<string, string> { ["batch"] = "soon" }, errors).Bool(RunOptionsParser.Batch));
        Assert.Equal("metadata batch", Assert.Single(errors).Field);
    }

    [Fact]
    public void A_run_needs_at_most_two_tries_per_request_of_its_longest_chain_and_one_last_pass()
    {
        // Policy, judge and its re-ask, four rounds of critique and revision, the verification and its re-ask: 13 requests deep.
        Assert.Equal(2 * 13 + 1, BatchPlanner.MaxCycles(4, verify: true));
        Assert.Equal(2 * 5 + 1, BatchPlanner.MaxCycles(1, verify: false));
    }

    [Fact]
    public void The_page_shows_the_batch_phase_its_batches_and_the_saving_only_for_a_run_that_batched()
    {
        var report = ReportFactory.Build() with
        {
            Cost = new CostReport(new Dictionary<string, TokenUsage> { ["judge"] = new(60, 0, 0, 24_000, 3_000, 60, 24_000, 3_000) },
                new EstimatedCost(0.045m, new Dictionary<string, RoleCost> { ["judge"] = new("m", 2.5m, 10m, 0.045m, 1.25m, 5m, 0.09m) }, [], 0.09m, 0.045m)),
            Batch = new BatchReport(["judge"], "nothing-left", 2, 64, 60, 0, 0, 0, 2,
                [new BatchReportRow(1, "batch_abc", "judge", "expired", 60, 56, 4), new BatchReportRow(2, "batch_def", "judge", "completed", 4, 4, 0)]),
        };
        var html = HtmlReport.Render(report);
        Assert.Contains("<h2>Batch API</h2>", html);
        Assert.Contains("<dd data-figure=\"batch.answeredByBatch\">60</dd>", html);
        Assert.Contains("<dd data-figure=\"cost.estimated.batchSaving\">0.0450</dd>", html);
        Assert.Contains("<dd data-figure=\"batch.sentTwice\">2</dd>", html);
        Assert.Contains("<td>batch_abc</td><td>judge</td><td>expired</td>", html);
        Assert.DoesNotContain("Batch API", HtmlReport.Render(ReportFactory.Build()));
    }
}
