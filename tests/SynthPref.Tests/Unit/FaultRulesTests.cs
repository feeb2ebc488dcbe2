using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Tests.Unit;

/// <summary>The rules that are pure functions: the failure ratio (exact, in parts per million), the options that
/// set it and the reviewer limit, review-token hashes, and the HTML report's failures section.</summary>
public sealed class FaultRulesTests
{
    static RunSettings Settings(double? ratio)
    {
        var errors = new List<FieldError>();
        var settings = RunRequests.FromJson(new { maxFailedItemsRatio = ratio }, errors);
        Assert.Empty(errors);
        return settings;
    }

    [Theory]
    // Default 0.1: 3 of 30 is exactly the ratio and allowed; the fourth is one too many.
    [InlineData(null, 3, 30, false)]
    [InlineData(null, 4, 30, true)]
    [InlineData(null, 10, 100, false)]
    [InlineData(null, 11, 100, true)]
    // 1 of 3 is 0.3333…, just above 0.333333: integer arithmetic sees 1,000,000 > 999,999.
    [InlineData(0.333333, 1, 3, true)]
    [InlineData(0.333334, 1, 3, false)]
    // 0 allows no failure at all, 1 allows any.
    [InlineData(0.0, 0, 10, false)]
    [InlineData(0.0, 1, 10_000, true)]
    [InlineData(1.0, 10, 10, false)]
    public void A_run_fails_exactly_when_failed_over_items_exceeds_the_ratio(double? ratio, int failed, int items, bool tooMany) =>
        Assert.Equal(tooMany, Settings(ratio).TooManyFailed(failed, items));

    [Fact]
    public void The_ratio_is_kept_in_parts_per_million_and_the_defaults_hold()
    {
        Assert.Equal(100_000, Settings(null).MaxFailedItemsPerMillion);
        Assert.Equal(250_000, Settings(0.25).MaxFailedItemsPerMillion);
        Assert.Equal(50, Settings(null).MaxReviewersPerItem);
    }

    [Theory]
    [InlineData(-0.1, null, "options.maxFailedItemsRatio")]
    [InlineData(1.5, null, "options.maxFailedItemsRatio")]
    [InlineData(null, 0, "options.maxReviewersPerItem")]
    [InlineData(null, 1001, "options.maxReviewersPerItem")]
    public void Out_of_range_limits_are_refused_by_name(double? ratio, int? maxReviewers, string field)
    {
        var errors = new List<FieldError>();
        RunRequests.FromJson(new { maxFailedItemsRatio = ratio, maxReviewersPerItem = maxReviewers }, errors);
        Assert.Equal(field, Assert.Single(errors).Field);
    }

    [Fact]
    public void Blob_metadata_sets_both_limits()
    {
        var errors = new List<FieldError>();
        var settings = RunRequests.FromMetadata(new Dictionary<string, string>
        {
            ["MaxFailedItemsRatio"] = "0.5", ["maxreviewersperitem"] = "7",
        }, errors);
        Assert.Empty(errors);
        Assert.Equal(500_000, settings.MaxFailedItemsPerMillion);
        Assert.Equal(7, settings.MaxReviewersPerItem);
        RunRequests.FromMetadata(new Dictionary<string, string> { ["maxFailedItemsRatio"] = "ten percent" }, errors);
        Assert.Equal("metadata maxFailedItemsRatio", Assert.Single(errors).Field);
    }

    [Fact]
    public void MinCategoryVotes_defaults_to_10_is_read_from_metadata_and_must_be_at_least_1()
    {
        var errors = new List<FieldError>();
        Assert.Equal(10, RunOptionsParser.FromJson(null, "run-x", RunRequests.Limits, errors).MinCategoryVotes);
        Assert.Equal(3, RunRequests.FromJson(new { minCategoryVotes = 3 }, errors).MinCategoryVotes);
        Assert.Equal(4, RunRequests.FromMetadata(new Dictionary<string, string> { ["mincategoryvotes"] = "4" }, errors).MinCategoryVotes);
        Assert.Empty(errors);

        RunRequests.FromJson(new { minCategoryVotes = 0 }, errors);
        Assert.Equal("options.minCategoryVotes", Assert.Single(errors).Field);
        errors.Clear();
        RunRequests.FromMetadata(new Dictionary<string, string> { ["minCategoryVotes"] = "many" }, errors);
        Assert.Equal("metadata minCategoryVotes", Assert.Single(errors).Field);

        // A run started before the option existed carries no value, and deserializes to the default.
        var old = System.Text.Json.JsonSerializer.Deserialize<RunSettings>(
            """{"SwapPositions":true,"CritiqueRevise":false,"ReviewSampleSize":20,"MinReviewsPerItem":1,"ReviewDeadline":"7.00:00:00","Seed":1,"Cache":true,"Window":6,"ItemsPerActivity":1,"ItemsPerGeneration":500}""")!;
        Assert.Equal(10, old.MinCategoryVotes);
        // And a report request that carried no options (1.0 runs) reports with the default too.
        Assert.Equal(10, RunSettings.Unrecorded.MinCategoryVotes);
    }

    [Fact]
    public void Review_tokens_are_checked_against_their_hash_only()
    {
        var token = ReviewTokens.New();
        var hash = ReviewTokens.Hash(token);
        Assert.Equal(64, hash.Length);
        Assert.DoesNotContain(token, hash);
        Assert.True(ReviewTokens.Matches(token, hash));
        Assert.False(ReviewTokens.Matches(token + "x", hash));
        Assert.False(ReviewTokens.Matches(token[..^1], hash));
        Assert.False(ReviewTokens.Matches("", hash));
        Assert.False(ReviewTokens.Matches(null, hash));
        Assert.False(ReviewTokens.Matches(token, ""));
        Assert.False(ReviewTokens.Matches(token, token)); // a stored plain token is not a hash
    }

    [Fact]
    public void The_HTML_report_lists_the_first_20_failures_with_the_count_and_escapes_them()
    {
        var failures = Enumerable.Range(0, 23)
            .Select(i => new ItemFailure(i, $"id-{i}", ItemSteps.Judge, $"HTTP 500 <b>boom</b> {i}", DateTimeOffset.UnixEpoch))
            .ToList();
        var html = HtmlReport.Render(ReportFactory.Build() with { Failures = new FailureReport(failures.Count, failures) });

        Assert.Contains("23 steps failed; the first 20 are listed (all are in report.json).", html);
        Assert.Contains("<td>id-19</td>", html);
        Assert.DoesNotContain("<td>id-20</td>", html);
        Assert.Contains("HTTP 500 &lt;b&gt;boom&lt;/b&gt; 0", html);
        Assert.DoesNotContain("<b>boom", html);

        var none = HtmlReport.Render(ReportFactory.Build());
        Assert.DoesNotContain("Failed item steps", none);
        var one = HtmlReport.Render(ReportFactory.Build() with { Failures = new FailureReport(1, failures.Take(1).ToList()) });
        Assert.Contains("1 step failed.", one);
    }
}
