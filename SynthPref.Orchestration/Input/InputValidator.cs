using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;

namespace SynthPref.Orchestration.Input;

/// <summary>
/// Turns one input object into an <see cref="InputItem"/>, naming every problem with its line and field so a user
/// can fix a file in one pass. Keeps the ids seen so far, so one validator checks one input for duplicates. With
/// <paramref name="rejectEmptyResponses"/> (the run option), a response that is empty or only white space, or two
/// identical responses, are errors too (<see cref="EmptyResponseErrors"/>).
/// </summary>
public sealed partial class InputValidator(bool critiqueRevise, string defaultIdSource = "the line number", bool rejectEmptyResponses = false)
{
    public const string LineField = "(line)";

    readonly Dictionary<string, int> firstLineById = new(StringComparer.Ordinal);

    /// <summary>The item, or null with its problems added to <paramref name="errors"/>.</summary>
    public InputItem? Validate(JsonElement element, int line, int index, List<InputError> errors, bool checkDuplicateIds = true)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new InputError(line, LineField, $"expected a JSON object but found {Describe(element.ValueKind)}"));
            return null;
        }

        var errorsBefore = errors.Count;
        var id = ReadId(element, line, errors);
        var prompt = ReadString(element, "prompt", line, errors);
        var category = ReadString(element, "category", line, errors);
        var responseA = ReadString(element, "response_a", line, errors);
        var responseB = ReadString(element, "response_b", line, errors);
        var modelA = ReadString(element, "model_a", line, errors);
        var modelB = ReadString(element, "model_b", line, errors);

        if (!string.IsNullOrWhiteSpace(category))
            CheckLength(category, "category", InputLimits.MaxCategoryChars, line, errors);
        CheckLength(modelA, "model_a", InputLimits.MaxModelChars, line, errors);
        CheckLength(modelB, "model_b", InputLimits.MaxModelChars, line, errors);

        if (string.IsNullOrWhiteSpace(prompt) && !FieldHasError(errors, errorsBefore, "prompt"))
            errors.Add(new InputError(line, "prompt", prompt is null ? "prompt is required" : "prompt must not be empty"));

        if (responseB is not null && responseA is null && !FieldHasError(errors, errorsBefore, "response_a"))
            errors.Add(new InputError(line, "response_b", "response_b is given without response_a; put a single response in response_a"));

        // An item with response_a alone only yields a critique-revise pair, so without critique-revise it yields nothing.
        if (!critiqueRevise && responseA is not null && responseB is null && !FieldHasError(errors, errorsBefore, "response_b"))
            errors.Add(ReviseOnlyWithoutCritique(line));

        var pairChars = PairTextChars(prompt, responseA, responseB);
        if (pairChars > InputLimits.MaxTextChars)
        {
            errors.Add(new InputError(line, LineField,
                $"a pair of this item would hold {pairChars} characters of text (the prompt, response_a, and the longer of response_b " +
                $"and a revision of response_a); the limit is {InputLimits.MaxTextChars} because pairs are stored as Table Storage entities (1 MB each)"));
        }

        if (id is not null && checkDuplicateIds)
        {
            if (firstLineById.TryGetValue(id, out var firstLine))
            {
                errors.Add(new InputError(line, "id", HasIdField(element)
                    ? $"duplicate id '{id}', first used on line {firstLine}"
                    : $"line {line} has no id, and its default id '{id}' ({defaultIdSource}) is already used by line {firstLine}; give it an explicit id"));
            }
            else
            {
                firstLineById[id] = line;
            }
        }

        if (rejectEmptyResponses && errors.Count == errorsBefore)
            errors.AddRange(EmptyResponseErrors(line, responseA, responseB));

        if (errors.Count != errorsBefore)
            return null;
        return new InputItem(index, id!, prompt!, string.IsNullOrWhiteSpace(category) ? InputLimits.DefaultCategory : category,
            responseA, responseB, modelA, modelB, line);
    }

    /// <summary>What rejectEmptyResponses refuses in one item, each naming its field: a response given but empty or only
    /// white space, and a response_b identical to response_a (ordinal). Without the option such pairs are judged and
    /// reviewed, and left out of the dataset (<c>PreferencePair.DatasetExclusion</c>).</summary>
    public static IEnumerable<InputError> EmptyResponseErrors(int line, string? responseA, string? responseB)
    {
        const string Why = "(rejectEmptyResponses is on; without it such a pair is judged but never written to the dataset)";
        if (responseA is not null && string.IsNullOrWhiteSpace(responseA))
            yield return new InputError(line, "response_a", $"response_a is {EmptyKind(responseA)} {Why}");
        if (responseB is not null && string.IsNullOrWhiteSpace(responseB))
            yield return new InputError(line, "response_b", $"response_b is {EmptyKind(responseB)} {Why}");
        else if (responseA is not null && responseB is not null && !string.IsNullOrWhiteSpace(responseA)
                 && string.Equals(responseA, responseB, StringComparison.Ordinal))
            yield return new InputError(line, "response_b", $"response_b is identical to response_a {Why}");
    }

    static string EmptyKind(string text) => text.Length == 0 ? "empty" : "only white space";

    /// <summary>An item with response_a alone, in a run without critique-revise. Inline input can give its options after its
    /// items, so a streaming reader validates with critique-revise on and adds this error for such items at the end.</summary>
    public static InputError ReviseOnlyWithoutCritique(int line) => new(line, "response_b",
        "required when critiqueRevise is false: an item with only response_a yields no pair without critique-revise");

    // Each pair is its own entity with the prompt and two texts: response_a and response_b (judge pair), or a revision of
    // response_a and response_a itself (revision pair; the revision is assumed about as long as response_a).
    static long PairTextChars(string? prompt, string? responseA, string? responseB) =>
        (long)(prompt?.Length ?? 0) + (responseA?.Length ?? 0) + Math.Max(responseA?.Length ?? 0, responseB?.Length ?? 0);

    static bool CheckLength(string? value, string field, int max, int line, List<InputError> errors)
    {
        if (value is null || value.Length <= max)
            return true;
        errors.Add(new InputError(line, field,
            $"{field} has {value.Length} characters; the limit is {max} because it is stored as a single Table Storage property"));
        return false;
    }

    static bool HasIdField(JsonElement item) =>
        item.TryGetProperty("id", out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>Whether the field already has an error on this line, so a follow-up check would only repeat it.</summary>
    static bool FieldHasError(List<InputError> errors, int errorsBefore, string field)
    {
        for (var i = errorsBefore; i < errors.Count; i++)
            if (errors[i].Field == field)
                return true;
        return false;
    }

    static string? ReadId(JsonElement item, int line, List<InputError> errors)
    {
        if (!item.TryGetProperty("id", out var value) || value.ValueKind == JsonValueKind.Null)
            return line.ToString(CultureInfo.InvariantCulture);

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                if (ReadText(value, "id", line, errors) is not { } text)
                    return null;
                if (string.IsNullOrWhiteSpace(text))
                {
                    errors.Add(new InputError(line, "id", "id must not be empty; omit it to use the line number"));
                    return null;
                }
                return CheckLength(text, "id", InputLimits.MaxIdChars, line, errors) ? text : null;
            case JsonValueKind.Number when IsIntegerLiteral(value.GetRawText()):
                var digits = value.GetRawText();
                return CheckLength(digits, "id", InputLimits.MaxIdChars, line, errors) ? digits : null;
            default:
                errors.Add(new InputError(line, "id", $"expected a string or an integer but found {Describe(value)}"));
                return null;
        }
    }

    // Raw text rather than TryGetInt64 so ids beyond 64 bits survive unchanged; "1.0" and "1e3" are rejected
    // because their text form is not what a user would expect as an id.
    static bool IsIntegerLiteral(string raw)
    {
        var digits = raw.StartsWith('-') ? raw.AsSpan(1) : raw.AsSpan();
        return digits.Length > 0 && !digits.ContainsAnyExcept("0123456789");
    }

    static string? ReadString(JsonElement item, string field, int line, List<InputError> errors)
    {
        if (!item.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(new InputError(line, field, $"expected a string but found {Describe(value)}"));
            return null;
        }
        return ReadText(value, field, line, errors);
    }

    /// <summary>
    /// Text is taken only when it is valid Unicode: invalid UTF-8 bytes and lone surrogate escapes are refused here
    /// rather than silently replaced with U+FFFD, which would change what the judge and the dataset see.
    /// </summary>
    static string? ReadText(JsonElement value, string field, int line, List<InputError> errors)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            errors.Add(new InputError(line, field, DescribeBadText(JsonMarshal.GetRawUtf8Value(value))));
            return null;
        }
    }

    /// <summary>Why System.Text.Json would not decode a string: bytes that are not UTF-8, or an escape naming half of a
    /// surrogate pair. Either way the text cannot be stored as it was sent.</summary>
    internal static string DescribeBadText(ReadOnlySpan<byte> raw)
    {
        if (!Utf8.IsValid(raw))
        {
            var valid = 0;
            while (Rune.DecodeFromUtf8(raw[valid..], out _, out var consumed) == OperationStatus.Done) valid += consumed;
            return $"is not valid UTF-8 text (byte 0x{raw[valid]:X2} at byte {valid + 1} of the string)";
        }
        var escape = LoneSurrogateEscape().Match(Encoding.UTF8.GetString(raw));
        return escape.Success
            ? $"holds a lone surrogate escape ({escape.Value}), which is not valid Unicode text"
            : "is not valid Unicode text";
    }

    // A high surrogate not followed by a low one, or a low one on its own.
    [GeneratedRegex(@"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")]
    private static partial Regex LoneSurrogateEscape();

    internal static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        _ => Describe(value.ValueKind),
    };

    internal static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
