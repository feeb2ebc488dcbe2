using System.Text.Json;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Input;

namespace SynthPref.Tests.Unit;

/// <summary>Input as runs read it: JSONL through the loading step and the manifest, inline items through the request
/// reader (<see cref="RunInputs"/>).</summary>
public sealed class InputReaderTests
{
    static LoadedItems Jsonl(params string[] lines) => RunInputs.Jsonl(lines);

    [Fact]
    public void ParsesAllFieldsAndAppliesDefaults()
    {
        var result = Jsonl(
            """{"id":"q1","prompt":"Hi","category":"chat","response_a":"Hello","response_b":"Hey","model_a":"m1","model_b":"m2"}""",
            """{"prompt":"Second","extra":{"ignored":true}}""");

        Assert.True(result.IsValid);
        Assert.Equal(
            new InputItem(0, "q1", "Hi", "chat", "Hello", "Hey", "m1", "m2", Line: 1),
            result.Items[0]);
        Assert.Equal(
            new InputItem(1, "2", "Second", "uncategorized", null, null, null, null, Line: 2),
            result.Items[1]);
        Assert.True(result.Items[0].HasBothResponses);
        Assert.True(result.Items[1].NeedsGeneration);
    }

    [Fact]
    public void BlankLinesAreSkippedButStillCountAsLines()
    {
        var result = Jsonl(
            "",
            """{"prompt":"first"}""",
            "   \t",
            """{"prompt":"second"}""");

        Assert.True(result.IsValid);
        Assert.Equal([0, 1], result.Items.Select(i => i.Index));
        // Default ids are physical line numbers, not positions.
        Assert.Equal(["2", "4"], result.Items.Select(i => i.Id));
        Assert.Equal([2, 4], result.Items.Select(i => i.Line));
    }

    [Fact]
    public async Task HandlesCrLfAndByteOrderMark()
    {
        var result = await RunInputs.LoadAsync("\uFEFF{\"prompt\":\"a\"}\r\n{\"prompt\":\"b\"}\r\n");

        Assert.True(result.IsValid);
        Assert.Equal(["a", "b"], result.Items.Select(i => i.Prompt));
    }

    [Fact]
    public void IntegerIdIsConvertedToItsText()
    {
        var result = Jsonl(
            """{"id":42,"prompt":"x"}""",
            """{"id":-7,"prompt":"y"}""",
            """{"id":123456789012345678901234567890,"prompt":"z"}""");

        Assert.True(result.IsValid);
        Assert.Equal(["42", "-7", "123456789012345678901234567890"], result.Items.Select(i => i.Id));
    }

    [Theory]
    [InlineData("""{"id":1.5,"prompt":"x"}""")]
    [InlineData("""{"id":1e3,"prompt":"x"}""")]
    [InlineData("""{"id":true,"prompt":"x"}""")]
    [InlineData("""{"id":["a"],"prompt":"x"}""")]
    [InlineData("""{"id":"  ","prompt":"x"}""")]
    public void RejectsBadIds(string line)
    {
        var error = Assert.Single(Jsonl(line).Errors);
        Assert.Equal(new InputError(1, "id", error.Message), error);
    }

    [Theory]
    [InlineData("", "uncategorized")]
    [InlineData("   ", "uncategorized")]
    [InlineData("math", "math")]
    public void CategoryDefaultsWhenBlank(string category, string expected)
    {
        var line = JsonSerializer.Serialize(new { prompt = "p", category });
        Assert.Equal(expected, Assert.Single(Jsonl(line).Items).Category);
    }

    [Fact]
    public void JsonNullMeansAbsent()
    {
        var item = Assert.Single(Jsonl(
            """{"id":null,"prompt":"p","category":null,"response_a":null,"response_b":null,"model_a":null,"model_b":null}""").Items);

        Assert.Equal(new InputItem(0, "1", "p", "uncategorized", null, null, null, null, Line: 1), item);
    }

    [Fact]
    public void SingleResponseAIsAllowed()
    {
        var item = Assert.Single(Jsonl("""{"prompt":"p","response_a":"only"}""").Items);
        Assert.Equal("only", item.ResponseA);
        Assert.Null(item.ResponseB);
        Assert.False(item.HasBothResponses);
        Assert.False(item.NeedsGeneration);
    }

    [Fact]
    public void CollectsEveryErrorOfEveryLineInLineOrder()
    {
        var result = Jsonl(
            """{"id":"a","prompt":"ok"}""",
            """{"prompt":""",
            """["not","an","object"]""",
            """{"prompt":"","category":5}""",
            "",
            """{"response_b":"b","model_a":false}""",
            """{"id":"a","prompt":"dup"}""");

        Assert.False(result.IsValid);
        Assert.Empty(result.Items);
        Assert.Equal(
            [
                (2, "(line)"),
                (3, "(line)"),
                (4, "category"),
                (4, "prompt"),
                (6, "model_a"),
                (6, "prompt"),
                (6, "response_b"),
                (7, "id"),
            ],
            result.Errors.Select(e => (e.Line, e.Field)).OrderBy(e => e.Line).ThenBy(e => e.Field, StringComparer.Ordinal));
        Assert.Equal(result.Errors.Select(e => e.Line).Order(), result.Errors.Select(e => e.Line));
        Assert.StartsWith("invalid JSON: ", result.Errors.Single(e => e.Line == 2).Message);
        Assert.Contains("line 1", result.Errors.Single(e => e.Line == 7).Message);
    }

    [Fact]
    public void InvalidJsonMessageIncludesParserMessage()
    {
        var error = Assert.Single(Jsonl("{not json}").Errors);
        string parserMessage;
        try
        {
            JsonDocument.Parse("{not json}");
            throw new InvalidOperationException("expected the JSON to be invalid");
        }
        catch (JsonException ex)
        {
            parserMessage = ex.Message;
        }

        Assert.Equal("(line)", error.Field);
        // The parser's reason, with the byte where it found it, and no second line number of its own (its LineNumber
        // counts inside the line, so it would always say 0 beside the input's line).
        var reason = parserMessage[..parserMessage.IndexOf(" LineNumber:", StringComparison.Ordinal)].TrimEnd('.');
        Assert.Equal($"invalid JSON: {reason} (at byte 2).", error.Message);
        Assert.DoesNotContain("LineNumber", error.Message);
        Assert.Equal("line 1, field '(line)': " + error.Message, error.ToString());
    }

    [Fact]
    public void MissingAndWhitespacePromptAreErrors()
    {
        var result = Jsonl("""{"id":"x"}""", """{"prompt":"  "}""", """{"prompt":3}""");

        Assert.Equal([1, 2, 3], result.Errors.Select(e => e.Line));
        Assert.All(result.Errors, e => Assert.Equal("prompt", e.Field));
        Assert.Contains("required", result.Errors[0].Message);
        Assert.Contains("empty", result.Errors[1].Message);
        Assert.Contains("expected a string", result.Errors[2].Message);
    }

    [Fact]
    public void DefaultIdCollidingWithExplicitIdIsADuplicate()
    {
        var result = Jsonl("""{"id":"2","prompt":"a"}""", """{"prompt":"b"}""");

        var error = Assert.Single(result.Errors);
        Assert.Equal(
            new InputError(2, "id",
                "line 2 has no id, and its default id '2' (the line number) is already used by line 1; give it an explicit id"),
            error);
    }

    [Fact]
    public async Task DefaultIdCollisionInInlineItemsNamesThePosition()
    {
        var error = Assert.Single((await RunInputs.InlineAsync("""[{"id":2,"prompt":"a"},{"prompt":"b"}]"""))!.Errors);

        Assert.Equal(
            new InputError(2, "id",
                "line 2 has no id, and its default id '2' (its position in the array) is already used by line 1; give it an explicit id"),
            error);
    }

    [Fact]
    public void ExplicitDuplicateIdKeepsItsMessage()
    {
        var error = Assert.Single(Jsonl("""{"id":"x","prompt":"a"}""", "", """{"id":"x","prompt":"b"}""").Errors);
        Assert.Equal(new InputError(3, "id", "duplicate id 'x', first used on line 1"), error);
    }

    [Fact]
    public void IntegerAndStringIdsWithTheSameTextAreDuplicates()
    {
        var error = Assert.Single(Jsonl("""{"id":7,"prompt":"a"}""", """{"id":"7","prompt":"b"}""").Errors);
        Assert.Equal("id", error.Field);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void RejectsTextsOverTheStorageLimit()
    {
        var third = InputLimits.MaxTextChars / 3;
        var atLimit = JsonSerializer.Serialize(new
        {
            prompt = new string('p', InputLimits.MaxTextChars - 2 * third),
            response_a = new string('a', third),
            response_b = new string('b', third),
        });
        var overLimit = JsonSerializer.Serialize(new
        {
            prompt = new string('p', InputLimits.MaxTextChars - 2 * third + 1),
            response_a = new string('a', third),
            response_b = new string('b', third),
        });

        Assert.True(Jsonl(atLimit).IsValid);
        var error = Assert.Single(Jsonl(overLimit).Errors);
        Assert.Equal("(line)", error.Field);
        Assert.Contains("400000", error.Message);
    }

    [Fact]
    public async Task InlineItemsReportErrorsByPosition()
    {
        var rejection = await RunInputs.InlineAsync("""[{"prompt":"a"}, 5, {"prompt":"c","response_b":"y"}, {"id":"1","prompt":"d"}]""");

        Assert.Equal([(2, "(line)"), (3, "response_b"), (4, "id")], rejection!.Errors.Select(e => (e.Line, e.Field)));
        Assert.Equal((3, 3), (rejection.TotalErrors, rejection.InvalidLines));
        Assert.StartsWith("Input 'items' has 3 invalid line(s):\nline 2, field '(line)'", rejection.Message);
    }

    [Theory]
    [InlineData("""{"prompt":"a"}""")]
    [InlineData("\"text\"")]
    [InlineData("5")]
    public async Task InlineItemsMustBeAnArray(string json)
    {
        var error = await Assert.ThrowsAsync<RequestBodyException>(() => RunInputs.InlineAsync(json));
        Assert.Equal("items", error.Field);
        Assert.Contains("must be a JSON array", error.Message);
    }

    [Fact]
    public void A_rejection_lists_its_errors_and_counts_the_rest()
    {
        var errors = new[]
        {
            new InputError(1, "prompt", "prompt is required"),
            new InputError(1, "id", "bad"),
            new InputError(3, "(line)", "invalid JSON"),
        };

        Assert.Equal(
            "Input 'data.jsonl' has 2 invalid line(s):\n" +
            "line 1, field 'prompt': prompt is required\n" +
            "line 1, field 'id': bad\n" +
            "line 3, field '(line)': invalid JSON",
            new InputRejection("data.jsonl", errors, 3, 2).Message);

        Assert.Equal(
            "Input 'x' has 2 invalid line(s):\n" +
            "line 1, field 'prompt': prompt is required\n" +
            "... and 2 more",
            new InputRejection("x", errors[..1], 3, 2).Message);
        Assert.Equal("Input 'x' has no items.", InputRejection.Whole("x", "Input 'x' has no items.").Message);
    }

    [Fact]
    public async Task Only_the_first_errors_are_kept_and_all_are_counted()
    {
        var rejection = (await RunInputs.LoadAsync(string.Join("\n", Enumerable.Range(0, 70).Select(_ => "{}")))).Rejection!;

        Assert.Equal(InputLoader.ErrorsKept, rejection.Errors.Count);
        Assert.Equal((70, 70), (rejection.TotalErrors, rejection.InvalidLines));
        Assert.EndsWith("... and 20 more", rejection.Message);
    }

    [Fact]
    public async Task The_run_copy_of_items_reads_back_as_the_same_items()
    {
        var original = Jsonl(
            """{"id":5,"prompt":"Line one\nline \"two\" – ünïcode 🎉","category":"  ","response_a":"[RESPONSE B]\r\n","response_b":"","model_a":"gpt","unknown":1}""",
            "",
            """{"prompt":"no id","model_b":"other"}""");
        Assert.True(original.IsValid);

        var jsonl = RunInputs.AsCopy(original.Items);
        var reparsed = await RunInputs.LoadAsync(jsonl);

        Assert.True(reparsed.IsValid);
        Assert.Equal([1, 3], original.Items.Select(i => i.Line));
        // The blank line is not written back, so only Line differs: it is where an item sits in the file being read.
        Assert.Equal(original.Items.Select((item, position) => item with { Line = position + 1 }), reparsed.Items);
        Assert.DoesNotContain("\"line\":", jsonl, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(2, jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.DoesNotContain("null", jsonl);
        Assert.DoesNotContain("response_b\":null", jsonl);
        Assert.Contains("\"model_b\":\"other\"", jsonl);
        Assert.DoesNotContain("ModelB", jsonl);
    }
}
