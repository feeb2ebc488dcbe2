using System.Text.Json;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Settings;
using static SynthPref.Tests.Unit.PairFactory;

namespace SynthPref.Tests.Unit;

/// <summary>Issue 18 items 3–5, worked by hand: the category key, the pairs left out of the dataset, the merges, the
/// unparseable examples, the verdict-line tally and its warning, JSON error text and unknown options.</summary>
public sealed class DataQualityTests
{
    [Theory]
    [InlineData("Yelp", "yelp")]
    [InlineData("yelp", "yelp")]
    [InlineData("  Yelp.  ", "yelp")]
    [InlineData("(Wolfram alpha)?", "wolfram alpha")]
    [InlineData("Wolfram   Alpha", "wolfram alpha")]
    [InlineData("Wolfram\talpha!", "wolfram alpha")]
    [InlineData("e-mail", "email")]
    [InlineData("C++", "c++")] // + is a math symbol (Sm), not punctuation: C++ and C stay apart
    [InlineData("«Ärger»", "ärger")]
    [InlineData("???", "???")] // nothing but punctuation keeps its own (trimmed, lower-cased) text
    public void Folding_trims_lower_cases_and_drops_punctuation(string category, string key)
    {
        Assert.Equal(key, CategoryKeys.Fold(category));
        Assert.Equal(key, CategoryKeys.Key(category, CategoryKey.Folded));
        Assert.Equal(category, CategoryKeys.Key(category, CategoryKey.Exact));
    }

    [Fact]
    public void The_option_is_exact_or_folded()
    {
        Assert.Equal(CategoryKey.Folded, CategoryKeys.Parse(" Folded ", out var none));
        Assert.Null(none);
        Assert.Null(CategoryKeys.Parse(null, out _));
        Assert.Null(CategoryKeys.Parse("fold", out var problem));
        Assert.Equal("'fold' is not exact or folded.", problem);
    }

    [Fact]
    public void Pairs_with_an_empty_or_identical_response_are_counted_by_reason_and_never_dataset_rows()
    {
        PreferencePair[] pairs =
        [
            Pair(Preference.A, "good", "bad", itemIndex: 0),
            Pair(Preference.A, "good", "", itemIndex: 1),            // empty
            Pair(Preference.B, "  \n", "fine", itemIndex: 2),        // white space only
            Pair(Preference.Tie, "same", "same", itemIndex: 3),      // identical (a tie: no row anyway, still counted)
            Pair(Preference.A, "same", "same", itemIndex: 4),        // identical
            Pair(Preference.A, "", "", itemIndex: 5),                // both: empty comes first
            Pair(Preference.A, "Same", "same", itemIndex: 6),        // differ in case: a row
            Pair(Preference.A, "revised", "", itemIndex: 7, source: PairSource.Revision),
        ];
        Assert.Equal([null, DatasetExclusion.EmptyResponse, DatasetExclusion.EmptyResponse, DatasetExclusion.IdenticalResponses,
            DatasetExclusion.IdenticalResponses, DatasetExclusion.EmptyResponse, null, DatasetExclusion.EmptyResponse],
            pairs.Select(p => p.DatasetExclusion));
        Assert.Equal(new DatasetExclusions(EmptyResponse: 4, IdenticalResponses: 2), ReportBuilder.Exclusions(pairs));
        Assert.Equal(["item-0", "item-6"], TrlDataset.ToJsonLines(pairs).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()));
        Assert.Null(ReportBuilder.Exclusions([pairs[0], pairs[6]]));
    }

    [Fact]
    public void Every_dataset_row_has_the_same_fields()
    {
        PreferencePair[] pairs =
        [
            Pair(Preference.A, "x", "y", itemIndex: 0, confidence: Confidence.High),
            Pair(Preference.B, "x", "y", itemIndex: 1),
            Pair(Preference.A, "revised", "original", itemIndex: 2, source: PairSource.Revision),
        ];
        var fields = TrlDataset.ToJsonLines(pairs).Select(l => JsonDocument.Parse(l).RootElement.EnumerateObject().Select(p => p.Name).ToList()).ToList();
        Assert.All(fields, f => Assert.Equal(["prompt", "chosen", "rejected", "id", "category", "source", "confidence", "label_source"], f));
    }

    [Fact]
    public void Merges_list_each_key_that_several_spellings_became()
    {
        static PreferencePair Folded(int index, string spelling, PairSource source = PairSource.Judge)
        {
            var key = CategoryKeys.Fold(spelling);
            return Pair(Preference.A, itemIndex: index, category: key, source: source) with { CategorySpelling = key == spelling ? null : spelling };
        }
        PreferencePair[] pairs =
        [
            Folded(0, "Yelp"), Folded(1, "yelp"), Folded(1, "yelp", PairSource.Revision), Folded(2, "(Wolfram alpha)?"),
            Folded(3, "Wolfram alpha"), Folded(4, "Math"), Folded(5, "code"),
        ];
        var merges = ReportBuilder.Merges(CategoryKey.Folded, pairs)!;
        Assert.Equal("folded", merges.CategoryKey);
        // "math" had one spelling (Math): renamed, not merged, so not listed; "code" was its own key already.
        Assert.Equal(2, merges.Merges.Count);
        Assert.Equal(("wolfram alpha", 2), (merges.Merges[0].Key, merges.Merges[0].Pairs));
        Assert.Equal(["(Wolfram alpha)?", "Wolfram alpha"], merges.Merges[0].Spellings);
        Assert.Equal(("yelp", 3), (merges.Merges[1].Key, merges.Merges[1].Pairs));
        Assert.Equal(["Yelp", "yelp"], merges.Merges[1].Spellings);
        Assert.Null(ReportBuilder.Merges(CategoryKey.Exact, pairs));
    }

    static PreferencePair Judged(int index, Preference verdict, params string[] unparseable) =>
        Pair(verdict, itemIndex: index) with
        {
            Judges = [new JudgeVerdict("default", "m", verdict, null, null, null, null, false, false, unparseable.Length + 1,
                UnparseableOutputs: unparseable.Length == 0 ? null : unparseable)],
        };

    [Fact]
    public void Unparseable_examples_come_from_unparseable_pairs_each_answer_once_with_its_count()
    {
        PreferencePair[] pairs =
        [
            // Retried and then parsed: a dataset pair, so none of its answers is quoted.
            Judged(0, Preference.A, "I like A"),
            Judged(1, Preference.Unparseable, "", "  "),
            Judged(2, Preference.Unparseable, "Both are fine.", ""),
            Judged(3, Preference.Unparseable, "Both are fine. "),
            Judged(4, Preference.Unparseable, "", "B is better"),
        ];
        var examples = ReportBuilder.UnparseableExamplesOf(pairs);
        // "" four times (items 1, 1, 2, 4: white space trims to empty), "Both are fine." twice, "B is better" once.
        Assert.Equal([("item-1", "", 4), ("item-2", "Both are fine.", 2), ("item-4", "B is better", 1)],
            examples.Select(e => (e.InputId, e.Output, e.Count)));
        Assert.DoesNotContain(examples, e => e.InputId == "item-0");

        var html = HtmlReport.Render(ReportFactory.Build() with
        {
            Judges = new JudgesReport([new JudgeSummary("default", "judge", "m", 5, 4, 7, false, false)], [], examples),
        });
        Assert.Equal(1, CountOf(html, "(empty answer)"));
        Assert.Contains("default on <code>item-1</code> and 3 more (4 times):", html);
    }

    static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    [Fact]
    public void The_verdict_line_tally_counts_text_answers_and_those_without_a_preference_line()
    {
        Assert.True(VerdictParser.HasVerdictLine("**Preference:** A\nreasoning"));
        Assert.True(VerdictParser.HasVerdictLine("PREFERENCE: maybe"));
        Assert.False(VerdictParser.HasVerdictLine("Response A is better because it is shorter."));
        Assert.False(VerdictParser.HasVerdictLine(""));

        // Item 0: 2 calls, parsed. Item 1: 3 calls, two unparseable without the line. Item 2: 2 calls, one unparseable
        // that has the line (a bad value), so it is not counted as lacking it.
        PreferencePair[] pairs =
        [
            Judged(0, Preference.A),
            Judged(1, Preference.Unparseable, "I think the first one.\nIt is clearer.", "Neither."),
            Judged(2, Preference.Tie, "PREFERENCE: both"),
        ];
        var tally = VerdictLineTally.Of(pairs)["default"];
        Assert.Equal(new VerdictLineTally(1 + 3 + 2, 2, "I think the first one. It is clearer."), tally);
        Assert.False(tally.MostlyWithoutVerdictLine);
        Assert.Null(tally.Warning("default"));
    }

    [Theory]
    [InlineData(19, 19, false)] // too early to judge
    [InlineData(20, 10, false)] // half is not most
    [InlineData(20, 11, true)]
    [InlineData(40, 21, true)]
    public void The_status_warns_once_a_judge_has_20_answers_and_most_lacked_the_line(int answers, int without, bool warns)
    {
        var tally = new VerdictLineTally(answers, without, "It depends.");
        Assert.Equal(warns, tally.MostlyWithoutVerdictLine);
        var warning = tally.Warning("small");
        Assert.Equal(warns, warning is not null);
        if (warns)
        {
            Assert.Contains($"Judge 'small': {without} of its {answers} answers so far had no PREFERENCE line", warning);
            Assert.Contains("\"It depends.\"", warning);
        }
    }

    [Fact]
    public void Tallies_merge_by_judge_in_any_order()
    {
        var a = new Dictionary<string, VerdictLineTally> { ["x"] = new(2, 1, "first"), ["y"] = new(1, 0) };
        var b = new Dictionary<string, VerdictLineTally> { ["x"] = new(3, 3, "second") };
        var merged = VerdictLineTally.Merge(a, b)!;
        Assert.Equal(["x", "y"], merged.Keys);
        Assert.Equal(new VerdictLineTally(5, 4, "first"), merged["x"]);
        Assert.Same(a, VerdictLineTally.Merge(a, null));
    }

    [Fact]
    public void JSON_errors_name_the_byte_and_no_line_of_their_own()
    {
        var error = Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse("{\"prompt\": \"a\",, }"));
        Assert.Contains("LineNumber: 0", error.Message);
        var text = JsonErrors.Describe(error);
        Assert.DoesNotContain("LineNumber", text);
        Assert.EndsWith("(at byte 16).", text);
        Assert.DoesNotContain("(at byte", JsonErrors.Describe(error, withPosition: false));
    }

    [Fact]
    public void Unknown_options_and_metadata_keys_are_refused_naming_them_and_the_option_meant()
    {
        var errors = new List<FieldError>();
        using var json = JsonDocument.Parse("""{"reviewSampelSize": 3, "seed": 1, "colour": "red", "categoryKey": "fold"}""");
        RequestedOptions.FromJson(json.RootElement, errors);
        Assert.Equal(["options.reviewSampelSize", "options.colour"], errors.Select(e => e.Field));
        Assert.StartsWith("'reviewSampelSize' is not a run option, so it would be ignored. Did you mean 'reviewSampleSize'?", errors[0].Message);
        Assert.DoesNotContain("Did you mean", errors[1].Message);

        errors.Clear();
        var settings = RunOptionsParser.FromMetadata(new Dictionary<string, string>
        {
            ["name"] = "n", ["categorykey"] = "folded", ["rejectEmptyResponses"] = "true", ["trustTargt"] = "0.9",
        }, "run-1", new JudgingLimits(0, 8, 8, 100), errors);
        Assert.Equal("metadata trustTargt", Assert.Single(errors).Field);
        Assert.Contains("Did you mean 'trustTarget'?", errors[0].Message);
        Assert.Equal(CategoryKey.Folded, settings.CategoryKey);
        Assert.True(settings.RejectEmptyResponses);

        errors.Clear();
        RunOptionsParser.FromJson(json.RootElement, "run-1", new JudgingLimits(0, 8, 8, 100), errors);
        Assert.Contains(errors, e => e.Field == "options.categoryKey" && e.Message == "'fold' is not exact or folded.");
    }

    [Fact]
    public void RejectEmptyResponses_makes_empty_and_identical_responses_errors_naming_line_and_field()
    {
        var jsonl = string.Join('\n',
            """{"prompt": "p", "response_a": "x", "response_b": "y"}""",
            """{"prompt": "p", "response_a": "", "response_b": "y"}""",
            """{"prompt": "p", "response_a": "x", "response_b": "   "}""",
            """{"prompt": "p", "response_a": "same", "response_b": "same"}""",
            """{"prompt": "p"}""");
        var errors = new List<InputError>();
        var validator = new InputValidator(critiqueRevise: true, rejectEmptyResponses: true);
        var lines = jsonl.Split('\n');
        for (var i = 0; i < lines.Length; i++)
            validator.Validate(JsonDocument.Parse(lines[i]).RootElement, i + 1, i, errors);
        Assert.Equal([(2, "response_a"), (3, "response_b"), (4, "response_b")], errors.Select(e => (e.Line, e.Field)));
        Assert.StartsWith("response_a is empty (rejectEmptyResponses is on", errors[0].Message);
        Assert.StartsWith("response_b is only white space", errors[1].Message);
        Assert.StartsWith("response_b is identical to response_a", errors[2].Message);

        // Without the option they are items like any other.
        var lenient = new InputValidator(critiqueRevise: true);
        var none = new List<InputError>();
        Assert.All(lines.Select((l, i) => lenient.Validate(JsonDocument.Parse(l).RootElement, i + 1, i, none)), Assert.NotNull);
        Assert.Empty(none);
    }

    [Fact]
    public void The_category_caption_says_how_many_categories_the_chart_leaves_out_and_where_they_are()
    {
        static SynthPref.Orchestration.Agreement.AgreementReport Agreement(int ranked, int unranked)
        {
            var votes = Enumerable.Range(0, ranked).SelectMany(c => Enumerable.Range(0, 10).Select(v => ($"r{c:D2}", v % 2 == 0)))
                .Concat(Enumerable.Range(0, unranked).Select(c => ($"u{c:D2}", true)))
                .Select(v => new SynthPref.Orchestration.Agreement.Vote(v.Item1, Preference.A, v.Item2 ? Preference.A : Preference.B))
                .ToList();
            return SynthPref.Orchestration.Agreement.AgreementCalculator.Compute(votes, minCategoryVotes: 5);
        }
        Assert.EndsWith("Every category with a vote is shown (12).", ReportCharts.CategoryCaption(Agreement(10, 2)));
        Assert.EndsWith("The chart shows 30 of the 50 categories with a vote and leaves out 20 (20 with too few votes to rank); the table below lists every category.",
            ReportCharts.CategoryCaption(Agreement(25, 25)));
        Assert.EndsWith("The chart shows 30 of the 45 categories with a vote and leaves out 15 (5 ranked and 10 with too few votes to rank); the table below lists every category.",
            ReportCharts.CategoryCaption(Agreement(35, 10)));
    }
}
