using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Outcomes;

namespace SynthPref.Tests.Unit;

/// <summary>referenceCategories and showReferenceToReviewers: defaults, [] off, metadata, categories matched ignoring
/// case, and each bad name refused naming the field.</summary>
public sealed class ReferenceOptionsTests
{
    [Fact]
    public void The_defaults_are_FastChats_categories_and_reviewers_see_references()
    {
        var errors = new List<FieldError>();
        var settings = RunRequests.FromJson(new { }, errors);
        Assert.Empty(errors);
        Assert.Equal(["math", "reasoning", "coding"], settings.ReferenceCategories);
        Assert.True(settings.ShowReferenceToReviewers);
        Assert.True(ItemReference.Wanted(settings.ReferenceCategories, "Math"));
        Assert.True(ItemReference.Wanted(null, "CODING"));
        Assert.False(ItemReference.Wanted(settings.ReferenceCategories, "mathematics"));
    }

    [Fact]
    public void An_empty_list_turns_generated_references_off_in_the_body_and_in_metadata()
    {
        var errors = new List<FieldError>();
        var body = RunRequests.FromJson(new { referenceCategories = Array.Empty<string>(), showReferenceToReviewers = false }, errors);
        var metadata = RunRequests.FromMetadata(new() { ["referencecategories"] = "", ["showReferenceToReviewers"] = "false" }, errors);
        var named = RunRequests.FromMetadata(new() { ["referenceCategories"] = "Physics, math" }, errors);
        Assert.Empty(errors);
        Assert.Empty(body.ReferenceCategories!);
        Assert.False(body.ShowReferenceToReviewers);
        Assert.Empty(metadata.ReferenceCategories!);
        Assert.False(metadata.ShowReferenceToReviewers);
        Assert.False(ItemReference.Wanted(body.ReferenceCategories, "math"));
        Assert.Equal(["Physics", "math"], named.ReferenceCategories);
        Assert.True(ItemReference.Wanted(named.ReferenceCategories, "physics"));
    }

    [Fact]
    public void Bad_names_are_refused_naming_the_field()
    {
        var errors = new List<FieldError>();
        RunRequests.FromJson(new { referenceCategories = new[] { "Math", "math", " ", new string('x', 201) } }, errors);
        Assert.Equal(
        [
            ("options.referenceCategories", "'math' is given twice (names match ignoring case)."),
            ("options.referenceCategories", "a category name must not be empty; [] turns generated references off."),
            ("options.referenceCategories", "a category name has at most 200 characters (got 201)."),
        ], errors.Select(e => (e.Field, e.Message)));

        var kinds = new List<FieldError>();
        RunRequests.FromJson(new { referenceCategories = "math", showReferenceToReviewers = "yes" }, kinds);
        Assert.Equal(["options.referenceCategories", "options.showReferenceToReviewers"], kinds.Select(e => e.Field));
    }
}
