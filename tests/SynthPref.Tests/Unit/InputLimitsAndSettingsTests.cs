using System.Text.Json;
using SynthPref.Orchestration.Input;

namespace SynthPref.Tests.Unit;

/// <summary>Field length limits, the per-pair text cap, <see cref="InputItem.Line"/>, the critique-revise rule and
/// text that is not valid Unicode.</summary>
public sealed class InputLimitsAndSettingsTests
{
    static LoadedItems Jsonl(params string[] lines) => RunInputs.Jsonl(lines);

    static string Line(object value) => JsonSerializer.Serialize(value);

    [Theory]
    [InlineData("id", InputLimits.MaxIdChars)]
    [InlineData("category", InputLimits.MaxCategoryChars)]
    [InlineData("model_a", InputLimits.MaxModelChars)]
    [InlineData("model_b", InputLimits.MaxModelChars)]
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
    public void IntegerIdsHaveTheSameLengthLimit()
    {
        var atLimit = new string('7', InputLimits.MaxIdChars);
        Assert.Equal(atLimit, Assert.Single(Jsonl($$"""{"id":{{atLimit}},"prompt":"p"}""").Items).Id);

        var error = Assert.Single(Jsonl($$"""{"id":{{atLimit}}1,"prompt":"p"}""").Errors);
        Assert.Equal(new InputError(1, "id", error.Message), error);
        Assert.Contains($"the limit is {InputLimits.MaxIdChars}", error.Message);
    }

    [Fact]
    public void EveryOverLongFieldOfALineIsReported()
    {
        var result = Jsonl(Line(new
        {
            id = new string('i', InputLimits.MaxIdChars + 1),
            prompt = "p",
            category = new string('c', InputLimits.MaxCategoryChars + 1),
            model_a = new string('a', InputLimits.MaxModelChars + 1),
            model_b = new string('b', InputLimits.MaxModelChars + 1),
        }));

        Assert.Equal(["category", "id", "model_a", "model_b"], result.Errors.Select(e => e.Field).Order(StringComparer.Ordinal));
        Assert.All(result.Errors, e => Assert.Equal(1, e.Line));
    }

    [Fact]
    public void WhitespaceCategoryIsDefaultedWhateverItsLength()
    {
        var item = Assert.Single(Jsonl(Line(new { prompt = "p", category = new string(' ', InputLimits.MaxCategoryChars + 1) })).Items);
        Assert.Equal(InputLimits.DefaultCategory, item.Category);
    }

    [Fact]
    public void TextCapCountsARevisionAsLongAsResponseA()
    {
        // Only response_a: the revision pair stores the prompt, the revision (~response_a) and response_a.
        var aOnly = InputLimits.MaxTextChars / 3;
        string ReviseOnly(int promptChars) => Line(new { prompt = new string('p', promptChars), response_a = new string('a', aOnly) });

        Assert.True(Jsonl(ReviseOnly(InputLimits.MaxTextChars - 2 * aOnly)).IsValid);
        var error = Assert.Single(Jsonl(ReviseOnly(InputLimits.MaxTextChars - 2 * aOnly + 1)).Errors);
        Assert.Equal("(line)", error.Field);
        Assert.Contains($"{InputLimits.MaxTextChars + 1} characters", error.Message);
        Assert.Contains($"the limit is {InputLimits.MaxTextChars}", error.Message);
    }

    [Fact]
    public void TextCapUsesTheLongerOfResponseBAndTheRevision()
    {
        // response_b longer than response_a: the judge pair (prompt + a + b) is the bigger entity.
        const int a = 50_000;
        var b = InputLimits.MaxTextChars - a - 1_000;
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
    public async Task LineIsThePhysicalLineOrTheArrayPosition()
    {
        var file = Jsonl("", """{"prompt":"a"}""", "", "", """{"prompt":"b"}""");
        Assert.Equal([2, 5], file.Items.Select(i => i.Line));

        var inline = await RunInputs.InlineAsync("""[{"prompt":"a"},{"prompt":""},{"prompt":"c"},{"prompt":3}]""");
        Assert.Equal([2, 4], inline!.Errors.Select(e => e.Line));
        // The run's copy of inline items has one item a line, so the lines a run reads back are the positions.
        Assert.Equal([1, 2, 3], Jsonl(RunInputs.AsCopy(Jsonl("""{"prompt":"a"}""", "", """{"prompt":"b"}""", """{"prompt":"c"}""").Items)).Items
            .Select(i => i.Line));
    }

    [Fact]
    public void TheRunCopyDoesNotWriteLine()
    {
        var jsonl = RunInputs.AsCopy([new InputItem(0, "q", "p", "c", null, null, null, null, Line: 42)]);

        using var document = JsonDocument.Parse(jsonl);
        Assert.Equal(["id", "prompt", "category"], document.RootElement.EnumerateObject().Select(p => p.Name));
    }

    static LoadedItems WithoutCritique(params string[] lines) =>
        RunInputs.LoadAsync(string.Join("\n", lines), critiqueRevise: false).GetAwaiter().GetResult();

    const string ReviseOnlyMessage =
        "required when critiqueRevise is false: an item with only response_a yields no pair without critique-revise";

    [Fact]
    public void ResponseAWithoutResponseBNeedsCritiqueRevise()
    {
        string[] lines =
        [
            """{"prompt":"generate"}""",
            """{"prompt":"revise","response_a":"a"}""",
            """{"prompt":"judge","response_a":"a","response_b":"b"}""",
            "",
            """{"prompt":"revise too","response_a":"a","response_b":null}""",
        ];
        Assert.Equal(4, Jsonl(lines).Items.Count);

        Assert.Equal(
            [new InputError(2, "response_b", ReviseOnlyMessage), new InputError(5, "response_b", ReviseOnlyMessage)],
            WithoutCritique(lines).Errors);
    }

    [Fact]
    public void TheCritiqueReviseRuleIsReportedBesideOtherErrors()
    {
        // An item with only response_a is named even when another line has another problem.
        var result = WithoutCritique(
            """{"prompt":"ok","response_a":"a","response_b":"b"}""",
            """{"response_a":"a","response_b":"b"}""",
            """{"prompt":"only a","response_a":"a"}""");

        Assert.Equal([(2, "prompt"), (3, "response_b")], result.Errors.Select(e => (e.Line, e.Field)));
    }

    [Fact]
    public void TheCritiqueReviseRuleFormatsLikeOtherErrors()
    {
        Assert.Equal(
            "Input 'test.jsonl' has 1 invalid line(s):\n" +
            "line 1, field 'response_b': " + ReviseOnlyMessage,
            WithoutCritique("""{"prompt":"p","response_a":"a"}""").Rejection!.Message);
    }

    [Fact]
    public async Task InvalidUtf8IsRefusedNamingLineAndField()
    {
        // 0xFF can never appear in UTF-8: the text must not be silently replaced with U+FFFD.
        var bytes = new List<byte>();
        bytes.AddRange("{\"prompt\":\"ok\"}\n{\"prompt\":\"bad "u8.ToArray());
        bytes.Add(0xFF);
        bytes.AddRange("\"}\n"u8.ToArray());
        var result = await RunInputs.LoadAsync(bytes.ToArray());

        var error = Assert.Single(result.Errors);
        Assert.Equal(2, error.Line);
        Assert.Contains("UTF-8", error.Message);
        Assert.Empty(result.Items);
    }

    [Fact]
    public void ALoneSurrogateEscapeIsRefusedNamingLineAndField()
    {
        var error = Assert.Single(Jsonl("""{"prompt":"p","response_a":"x\ud800y","response_b":"b"}""").Errors);

        Assert.Equal(new InputError(1, "response_a", error.Message), error);
        Assert.Contains("lone surrogate", error.Message);
        Assert.Contains("d800", error.Message, StringComparison.OrdinalIgnoreCase);
        // A proper pair of surrogates is one character and fine.
        Assert.True(Jsonl("""{"prompt":"\ud83d\ude00"}""").IsValid);
    }

    [Fact]
    public async Task ALineOverTheByteLimitIsOneErrorAndTheNextLineIsRead()
    {
        var jsonl = "{\"prompt\":\"" + new string('x', 5_000) + "\"}\n{\"prompt\":\"\"}\n";
        var result = await RunInputs.LoadAsync(jsonl, maxLineBytes: 1_000);

        Assert.Equal([(1, "(line)"), (2, "prompt")], result.Errors.Select(e => (e.Line, e.Field)));
        Assert.Contains("the limit is 1000", result.Errors[0].Message);
    }
}
