using System.Text.Json;
using SynthPref.Orchestration.Input;

namespace SynthPref.Tests.Unit;

/// <summary>Field length limits, the per-pair text cap, <see cref="InputItem.Line"/> and
/// <see cref="InputParser.ErrorsForSettings"/>.</summary>
public sealed class InputParserLimitsAndSettingsTests
{
    private static InputParseResult Jsonl(params string[] lines) =>
        InputParser.ParseJsonl(new StringReader(string.Join("\n", lines)));

    private static string Line(object value) => JsonSerializer.Serialize(value);

    [Theory]
    [InlineData("id", InputParser.MaxIdChars)]
    [InlineData("category", InputParser.MaxCategoryChars)]
    [InlineData("model_a", InputParser.MaxModelChars)]
    [InlineData("model_b", InputParser.MaxModelChars)]
    public void ShortFieldsHaveALengthLimit(string field, int limit)
    {
        string WithField(int length) => Line(new Dictionary<string, string>
        {
            ["prompt"] = "p",
            [field] = new string('x', length),
        });

        Assert.True(Jsonl(WithField(limit)).IsValid);

        var result = Jsonl("""{"prompt":"fine"}""", WithField(limit + 1));
        Assert.Empty(result.Items);
        var error = Assert.Single(result.Errors);
        Assert.Equal(2, error.Line);
        Assert.Equal(field, error.Field);
        Assert.Contains($"{limit + 1} characters", error.Message);
        Assert.Contains($"the limit is {limit}", error.Message);
    }

    [Fact]
    public void LimitsMatchTheBrief()
    {
        Assert.Equal(512, InputParser.MaxIdChars);
        Assert.Equal(200, InputParser.MaxCategoryChars);
        Assert.Equal(200, InputParser.MaxModelChars);
        Assert.Equal(400_000, InputParser.MaxTextChars);
    }

    [Fact]
    public void IntegerIdsHaveTheSameLengthLimit()
    {
        var atLimit = new string('7', InputParser.MaxIdChars);
        Assert.Equal(atLimit, Assert.Single(Jsonl($$"""{"id":{{atLimit}},"prompt":"p"}""").Items).Id);

        var error = Assert.Single(Jsonl($$"""{"id":{{atLimit}}1,"prompt":"p"}""").Errors);
        Assert.Equal(new InputError(1, "id", error.Message), error);
        Assert.Contains($"the limit is {InputParser.MaxIdChars}", error.Message);
    }

    [Fact]
    public void EveryOverLongFieldOfALineIsReported()
    {
        var result = Jsonl(Line(new
        {
            id = new string('i', InputParser.MaxIdChars + 1),
            prompt = "p",
            category = new string('c', InputParser.MaxCategoryChars + 1),
            model_a = new string('a', InputParser.MaxModelChars + 1),
            model_b = new string('b', InputParser.MaxModelChars + 1),
        }));

        Assert.Equal(["category", "id", "model_a", "model_b"], result.Errors.Select(e => e.Field).Order(StringComparer.Ordinal));
        Assert.All(result.Errors, e => Assert.Equal(1, e.Line));
    }

    [Fact]
    public void WhitespaceCategoryIsDefaultedWhateverItsLength()
    {
        var item = Assert.Single(Jsonl(Line(new { prompt = "p", category = new string(' ', InputParser.MaxCategoryChars + 1) })).Items);
        Assert.Equal(InputParser.DefaultCategory, item.Category);
    }

    [Fact]
    public void TextCapCountsARevisionAsLongAsResponseA()
    {
        // Only response_a: the revision pair stores the prompt, the revision (~response_a) and response_a.
        var aOnly = InputParser.MaxTextChars / 3;
        string ReviseOnly(int promptChars) => Line(new { prompt = new string('p', promptChars), response_a = new string('a', aOnly) });

        Assert.True(Jsonl(ReviseOnly(InputParser.MaxTextChars - 2 * aOnly)).IsValid);
        var error = Assert.Single(Jsonl(ReviseOnly(InputParser.MaxTextChars - 2 * aOnly + 1)).Errors);
        Assert.Equal("(line)", error.Field);
        Assert.Contains($"{InputParser.MaxTextChars + 1} characters", error.Message);
        Assert.Contains($"the limit is {InputParser.MaxTextChars}", error.Message);
    }

    [Fact]
    public void TextCapUsesTheLongerOfResponseBAndTheRevision()
    {
        // response_b longer than response_a: the judge pair (prompt + a + b) is the bigger entity.
        const int a = 50_000;
        var b = InputParser.MaxTextChars - a - 1_000;
        string Both(int promptChars) => Line(new
        {
            prompt = new string('p', promptChars),
            response_a = new string('a', a),
            response_b = new string('b', b),
        });

        Assert.True(Jsonl(Both(1_000)).IsValid);
        Assert.Single(Jsonl(Both(1_001)).Errors);
    }

    [Fact]
    public void LineIsThePhysicalLineOrTheArrayPosition()
    {
        var file = Jsonl("", """{"prompt":"a"}""", "", "", """{"prompt":"b"}""");
        Assert.Equal([2, 5], file.Items.Select(i => i.Line));

        using var document = JsonDocument.Parse("""[{"prompt":"a"},{"prompt":"b"},{"prompt":"c"}]""");
        Assert.Equal([1, 2, 3], InputParser.ParseItems(document.RootElement).Items.Select(i => i.Line));
    }

    [Fact]
    public void LineRoundTripsThroughItemBlobJsonAndDefaultsToZero()
    {
        // ItemStore serializes items with the web defaults.
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var item = Assert.Single(Jsonl("", "", """{"id":"q","prompt":"p","response_a":"a"}""").Items);

        var json = JsonSerializer.Serialize(item, options);
        Assert.Equal(item, JsonSerializer.Deserialize<InputItem>(json, options));
        Assert.Equal(3, JsonSerializer.Deserialize<InputItem>(json, options)!.Line);

        // Item blobs written before Line existed still load.
        var old = JsonSerializer.Deserialize<InputItem>(
            """{"index":4,"id":"q","prompt":"p","category":"c","responseA":null,"responseB":null,"modelA":null,"modelB":null}""", options);
        Assert.Equal(new InputItem(4, "q", "p", "c", null, null, null, null), old);
        Assert.Equal(0, old!.Line);
    }

    [Fact]
    public void ToJsonlDoesNotWriteLine()
    {
        var jsonl = InputParser.ToJsonl([new InputItem(0, "q", "p", "c", null, null, null, null, Line: 42)]);

        using var document = JsonDocument.Parse(jsonl);
        Assert.Equal(["id", "prompt", "category"], document.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void ResponseAWithoutResponseBNeedsCritiqueRevise()
    {
        var items = Jsonl(
            """{"prompt":"generate"}""",
            """{"prompt":"revise","response_a":"a"}""",
            """{"prompt":"judge","response_a":"a","response_b":"b"}""",
            "",
            """{"prompt":"revise too","response_a":"a","response_b":null}""").Items;
        Assert.Equal(4, items.Count);

        Assert.Empty(InputParser.ErrorsForSettings(items, critiqueRevise: true));

        const string message =
            "required when critiqueRevise is false: an item with only response_a yields no pair without critique-revise";
        Assert.Equal(
            [new InputError(2, "response_b", message), new InputError(5, "response_b", message)],
            InputParser.ErrorsForSettings(items, critiqueRevise: false));
    }

    [Fact]
    public void ErrorsForSettingsAreOrderedByLine()
    {
        InputItem ReviseOnly(int index, int line) =>
            new(index, $"id{index}", "p", "c", "a", null, null, null, line);

        var errors = InputParser.ErrorsForSettings([ReviseOnly(0, 9), ReviseOnly(1, 3), ReviseOnly(2, 6)], critiqueRevise: false);

        Assert.Equal([3, 6, 9], errors.Select(e => e.Line));
    }

    [Fact]
    public void ErrorsForSettingsFormatLikeParseErrors()
    {
        var items = Jsonl("""{"prompt":"p","response_a":"a"}""").Items;

        Assert.Equal(
            "Input 'x.jsonl' has 1 invalid line(s):\n" +
            "line 1, field 'response_b': required when critiqueRevise is false: an item with only response_a yields no pair without critique-revise",
            InputParser.FormatErrors(InputParser.ErrorsForSettings(items, critiqueRevise: false), "x.jsonl"));
    }
}
