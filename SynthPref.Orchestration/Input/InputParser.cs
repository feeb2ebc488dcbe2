using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SynthPref.Orchestration.Input;

/// <summary>
/// Validates user input (JSONL or an inline JSON array) into <see cref="InputItem"/>s.
/// Every problem on every line is reported so a user can fix a file in one pass instead of one error per run.
/// </summary>
public static class InputParser
{
    /// <summary>Pairs end up as Table Storage entities (1 MB limit, UTF-16 strings, so 2 bytes a character), so the
    /// texts of one pair must stay well below that after the judge's reasoning or the critique and metadata are added:
    /// 400,000 characters are 800 KB, leaving about 200 KB. See <see cref="PairTextChars"/> for what is counted.</summary>
    public const int MaxTextChars = 400_000;

    /// <summary>Longest <c>id</c>; ids are stored as a single Table Storage property (64 KiB) and shown in the review UI.</summary>
    public const int MaxIdChars = 512;

    /// <summary>Longest <c>category</c>; stored as a single Table Storage property and used as a report group.</summary>
    public const int MaxCategoryChars = 200;

    /// <summary>Longest <c>model_a</c>/<c>model_b</c>; each is stored as a single Table Storage property.</summary>
    public const int MaxModelChars = 200;

    public const string DefaultCategory = "uncategorized";

    private const string LineField = "(line)";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Keeps stored inputs readable (non-ASCII prompts stay as-is); newlines and quotes are still escaped,
        // so one item remains one physical line.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static InputParseResult ParseJsonl(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var state = new ParseState("the line number");
        var lineNumber = 0;
        var index = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (lineNumber == 1 && line.StartsWith('\uFEFF'))
            {
                line = line[1..];
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException ex)
            {
                state.Errors.Add(new InputError(lineNumber, LineField, $"invalid JSON: {ex.Message}"));
                index++;
                continue;
            }

            using (document)
            {
                ParseElement(document.RootElement, lineNumber, index, state);
            }

            index++;
        }

        return state.ToResult();
    }

    public static InputParseResult ParseItems(JsonElement array)
    {
        if (array.ValueKind != JsonValueKind.Array)
        {
            return new InputParseResult(
                [],
                [new InputError(0, "items", $"expected a JSON array of items but found {Describe(array.ValueKind)}")]);
        }

        var state = new ParseState("its position in the array");
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            ParseElement(element, index + 1, index, state);
            index++;
        }

        return state.ToResult();
    }

    /// <summary>
    /// Problems that depend on the run's settings rather than on the input alone, ordered by line: an item with
    /// response_a but no response_b only yields a critique-revise pair, so without critique-revise it yields nothing.
    /// </summary>
    public static IReadOnlyList<InputError> ErrorsForSettings(IReadOnlyList<InputItem> items, bool critiqueRevise)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (critiqueRevise)
        {
            return [];
        }

        return items
            .Where(item => item.ResponseA is not null && item.ResponseB is null)
            .Select(item => new InputError(item.Line, "response_b",
                "required when critiqueRevise is false: an item with only response_a yields no pair without critique-revise"))
            .OrderBy(e => e.Line)
            .ToList();
    }

    public static string FormatErrors(IReadOnlyList<InputError> errors, string source, int max = 50)
    {
        ArgumentNullException.ThrowIfNull(errors);
        ArgumentOutOfRangeException.ThrowIfNegative(max);

        var invalidLines = errors.Select(e => e.Line).Distinct().Count();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Input '{source}' has {invalidLines} invalid line(s):\n");
        var shown = Math.Min(max, errors.Count);
        for (var i = 0; i < shown; i++)
        {
            text.Append(errors[i].ToString()).Append('\n');
        }

        if (errors.Count > shown)
        {
            text.Append(CultureInfo.InvariantCulture, $"... and {errors.Count - shown} more\n");
        }

        return text.ToString().TrimEnd('\n');
    }

    public static string ToJsonl(IEnumerable<InputItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var buffer = new MemoryStream();
        foreach (var item in items)
        {
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                writer.WriteStartObject();
                writer.WriteString("id", item.Id);
                writer.WriteString("prompt", item.Prompt);
                writer.WriteString("category", item.Category);
                WriteIfPresent(writer, "response_a", item.ResponseA);
                WriteIfPresent(writer, "response_b", item.ResponseB);
                WriteIfPresent(writer, "model_a", item.ModelA);
                WriteIfPresent(writer, "model_b", item.ModelB);
                writer.WriteEndObject();
            }

            buffer.WriteByte((byte)'\n');
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteIfPresent(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void ParseElement(JsonElement element, int line, int index, ParseState state)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            state.Errors.Add(new InputError(line, LineField, $"expected a JSON object but found {Describe(element.ValueKind)}"));
            return;
        }

        var errorsBefore = state.Errors.Count;
        var id = ReadId(element, line, state.Errors);
        var prompt = ReadString(element, "prompt", line, state.Errors);
        var category = ReadString(element, "category", line, state.Errors);
        var responseA = ReadString(element, "response_a", line, state.Errors);
        var responseB = ReadString(element, "response_b", line, state.Errors);
        var modelA = ReadString(element, "model_a", line, state.Errors);
        var modelB = ReadString(element, "model_b", line, state.Errors);

        if (!string.IsNullOrWhiteSpace(category))
        {
            CheckLength(category, "category", MaxCategoryChars, line, state.Errors);
        }

        CheckLength(modelA, "model_a", MaxModelChars, line, state.Errors);
        CheckLength(modelB, "model_b", MaxModelChars, line, state.Errors);

        if (string.IsNullOrWhiteSpace(prompt) && !FieldHasError(state, errorsBefore, "prompt"))
        {
            state.Errors.Add(new InputError(line, "prompt", prompt is null ? "prompt is required" : "prompt must not be empty"));
        }

        if (responseB is not null && responseA is null && !FieldHasError(state, errorsBefore, "response_a"))
        {
            state.Errors.Add(new InputError(line, "response_b", "response_b is given without response_a; put a single response in response_a"));
        }

        var pairChars = PairTextChars(prompt, responseA, responseB);
        if (pairChars > MaxTextChars)
        {
            state.Errors.Add(new InputError(line, LineField,
                $"a pair of this item would hold {pairChars} characters of text (the prompt, response_a, and the longer of response_b " +
                $"and a revision of response_a); the limit is {MaxTextChars} because pairs are stored as Table Storage entities (1 MB each)"));
        }

        if (id is not null)
        {
            if (state.FirstLineById.TryGetValue(id, out var firstLine))
            {
                state.Errors.Add(new InputError(line, "id", HasIdField(element)
                    ? $"duplicate id '{id}', first used on line {firstLine}"
                    : $"line {line} has no id, and its default id '{id}' ({state.DefaultIdSource}) is already used by line {firstLine}; give it an explicit id"));
            }
            else
            {
                state.FirstLineById[id] = line;
            }
        }

        if (state.Errors.Count == errorsBefore)
        {
            state.Items.Add(new InputItem(
                index,
                id!,
                prompt!,
                string.IsNullOrWhiteSpace(category) ? DefaultCategory : category,
                responseA,
                responseB,
                modelA,
                modelB,
                line));
        }
    }

    // Each pair is its own entity with the prompt and two texts: response_a and response_b (judge pair), or a revision of
    // response_a and response_a itself (revision pair; the revision is assumed about as long as response_a).
    private static long PairTextChars(string? prompt, string? responseA, string? responseB) =>
        (long)(prompt?.Length ?? 0) + (responseA?.Length ?? 0) + Math.Max(responseA?.Length ?? 0, responseB?.Length ?? 0);

    private static bool CheckLength(string? value, string field, int max, int line, List<InputError> errors)
    {
        if (value is null || value.Length <= max)
        {
            return true;
        }

        errors.Add(new InputError(line, field,
            $"{field} has {value.Length} characters; the limit is {max} because it is stored as a single Table Storage property"));
        return false;
    }

    private static bool HasIdField(JsonElement item) =>
        item.TryGetProperty("id", out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>Whether <paramref name="field"/> already has an error on the current line (errors from
    /// <paramref name="errorsBefore"/> on), so a follow-up check on it would only repeat the problem.</summary>
    private static bool FieldHasError(ParseState state, int errorsBefore, string field)
    {
        for (var i = errorsBefore; i < state.Errors.Count; i++)
        {
            if (state.Errors[i].Field == field)
            {
                return true;
            }
        }

        return false;
    }

    private static string? ReadId(JsonElement item, int line, List<InputError> errors)
    {
        if (!item.TryGetProperty("id", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return line.ToString(CultureInfo.InvariantCulture);
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var text = value.GetString()!;
                if (string.IsNullOrWhiteSpace(text))
                {
                    errors.Add(new InputError(line, "id", "id must not be empty; omit it to use the line number"));
                    return null;
                }

                return CheckLength(text, "id", MaxIdChars, line, errors) ? text : null;
            case JsonValueKind.Number when IsIntegerLiteral(value.GetRawText()):
                var digits = value.GetRawText();
                return CheckLength(digits, "id", MaxIdChars, line, errors) ? digits : null;
            default:
                errors.Add(new InputError(line, "id", $"expected a string or an integer but found {Describe(value)}"));
                return null;
        }
    }

    // Raw text rather than TryGetInt64 so ids beyond 64 bits survive unchanged; "1.0" and "1e3" are rejected
    // because their text form is not what a user would expect as an id.
    private static bool IsIntegerLiteral(string raw)
    {
        var digits = raw.StartsWith('-') ? raw.AsSpan(1) : raw.AsSpan();
        return digits.Length > 0 && !digits.ContainsAnyExcept("0123456789");
    }

    private static string? ReadString(JsonElement item, string field, int line, List<InputError> errors)
    {
        if (!item.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(new InputError(line, field, $"expected a string but found {Describe(value)}"));
            return null;
        }

        return value.GetString();
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        _ => Describe(value.ValueKind),
    };

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private sealed class ParseState(string defaultIdSource)
    {
        /// <summary>What a missing id defaults to, for messages: the line number or the array position.</summary>
        public string DefaultIdSource { get; } = defaultIdSource;

        public List<InputItem> Items { get; } = [];
        public List<InputError> Errors { get; } = [];
        public Dictionary<string, int> FirstLineById { get; } = new(StringComparer.Ordinal);

        // A run must never start on part of a file, so valid items are only handed out when the whole input is valid.
        public InputParseResult ToResult() => Errors.Count == 0
            ? new InputParseResult(Items, [])
            : new InputParseResult([], Errors.OrderBy(e => e.Line).ToList());
    }
}
