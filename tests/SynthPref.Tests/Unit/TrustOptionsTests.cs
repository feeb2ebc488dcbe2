using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Trust;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Tests.Unit;

/// <summary>trustTarget, trustAlpha, escalate and maxEscalatedReviews: defaults, metadata, and a refusal naming the field
/// for each bad value or combination.</summary>
public sealed class TrustOptionsTests
{
    static (RunSettings Settings, List<FieldError> Errors) Resolve(object options)
    {
        var errors = new List<FieldError>();
        return (RunRequests.FromJson(options, errors), errors);
    }

    [Fact]
    public void Trust_is_off_by_default_and_its_options_default_as_documented()
    {
        var (off, none) = Resolve(new { });
        Assert.Empty(none);
        Assert.Null(off.TrustTarget);
        Assert.Null(TrustOptions.Of(off));
        Assert.Equal((0.1, Escalation.None, 200), (off.TrustAlpha, off.Escalate, off.MaxEscalatedReviews));

        var (on, errors) = Resolve(new { trustTarget = 0.8, escalate = " Review ", maxEscalatedReviews = 50, trustAlpha = 0.05 });
        Assert.Empty(errors);
        Assert.Equal(new TrustOptions(0.8, 0.05, Escalation.Review, 50), TrustOptions.Of(on));
    }

    [Theory]
    [InlineData(0.0, null, null, null, 20, "options.trustTarget", "more than 0 and less than 1")]
    [InlineData(1.0, null, null, null, 20, "options.trustTarget", "got 1")]
    [InlineData(0.8, null, null, null, 0, "options.trustTarget", "reviewSampleSize of at least 1")]
    [InlineData(0.8, 0.5, null, null, 20, "options.trustAlpha", "less than 0.5")]
    [InlineData(0.8, 0.0, null, null, 20, "options.trustAlpha", "more than 0")]
    [InlineData(null, 0.1, null, null, 20, "options.trustAlpha", "needs trustTarget")]
    [InlineData(null, null, "review", null, 20, "options.escalate", "needs trustTarget")]
    [InlineData(0.8, null, "people", null, 20, "options.escalate", "'people' is not none or review")]
    [InlineData(0.8, null, null, 10, 20, "options.maxEscalatedReviews", "needs escalate: review")]
    [InlineData(0.8, null, "none", 10, 20, "options.maxEscalatedReviews", "needs escalate: review")]
    [InlineData(0.8, null, "review", 0, 20, "options.maxEscalatedReviews", "at least 1")]
    public void A_bad_value_or_combination_is_refused_naming_the_field(double? target, double? alpha, string? escalate, int? max, int sample,
        string field, string words)
    {
        var (_, errors) = Resolve(new { reviewSampleSize = sample, trustTarget = target, trustAlpha = alpha, escalate, maxEscalatedReviews = max });
        var error = Assert.Single(errors);
        Assert.Equal(field, error.Field);
        Assert.Contains(words, error.Message);
    }

    [Fact]
    public void Blob_metadata_carries_the_trust_options_and_names_a_bad_one()
    {
        var errors = new List<FieldError>();
        var settings = RunRequests.FromMetadata(new Dictionary<string, string>
        {
            ["TRUSTTARGET"] = "0.75", ["trustAlpha"] = "0.2", ["escalate"] = "review", ["maxEscalatedReviews"] = "12",
        }, errors);
        Assert.Empty(errors);
        Assert.Equal(new TrustOptions(0.75, 0.2, Escalation.Review, 12), TrustOptions.Of(settings));

        RunRequests.FromMetadata(new Dictionary<string, string> { ["trustTarget"] = "high", ["maxEscalatedReviews"] = "many" }, errors);
        Assert.Equal(["metadata trustTarget", "metadata maxEscalatedReviews"], errors.Select(e => e.Field).Order(StringComparer.Ordinal).Reverse());
    }
}
