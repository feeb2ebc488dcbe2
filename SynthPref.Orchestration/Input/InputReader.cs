using System.Text.Json;

namespace SynthPref.Orchestration.Input;

/// <summary>Reads input (JSONL or an inline JSON array) into validated items, line by line.</summary>
public static class InputReader
{
    /// <summary>Longest JSONL line accepted by default; <c>Input:MaxLineBytes</c> sets it per host.</summary>
    public const int DefaultMaxLineBytes = 4 * 1024 * 1024;

    /// <summary>An inline array: each element's 1-based position stands in for its line.</summary>
    public static InputParseResult ParseItems(JsonElement array, bool critiqueRevise)
    {
        if (array.ValueKind != JsonValueKind.Array)
            return new InputParseResult([],
                [new InputError(0, "items", $"expected a JSON array of items but found {InputValidator.Describe(array.ValueKind)}")]);

        var validator = new InputValidator(critiqueRevise, "its position in the array");
        var items = new List<InputItem>();
        var errors = new List<InputError>();
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            if (validator.Validate(element, index + 1, index, errors) is { } item) items.Add(item);
            index++;
        }
        return InputParseResult.Of(items, errors);
    }

    /// <summary>A whole JSONL stream into memory; for small inputs. Runs read theirs streaming, with <see cref="ParseLine"/>.</summary>
    public static async Task<InputParseResult> ParseJsonlAsync(Stream jsonl, bool critiqueRevise, int maxLineBytes = DefaultMaxLineBytes)
    {
        var validator = new InputValidator(critiqueRevise);
        var items = new List<InputItem>();
        var errors = new List<InputError>();
        var index = 0;
        await foreach (var line in JsonlLines.ReadAsync(jsonl, maxLineBytes))
        {
            if (line.IsBlank) continue;
            if (ParseLine(line, index++, validator, errors, maxLineBytes) is { } item) items.Add(item);
        }
        return InputParseResult.Of(items, errors);
    }

    public static Task<InputParseResult> ParseJsonlAsync(string jsonl, bool critiqueRevise) =>
        ParseJsonlAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(jsonl)), critiqueRevise);

    /// <summary>One non-blank line: the item, or null with the line's problems added to <paramref name="errors"/>.</summary>
    public static InputItem? ParseLine(JsonlLine line, int index, InputValidator validator, List<InputError> errors, int maxLineBytes)
    {
        if (line.TooLong)
        {
            errors.Add(new InputError(line.Number, InputValidator.LineField,
                $"the line has {line.Length} bytes; the limit is {maxLineBytes} (Input:MaxLineBytes)"));
            return null;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line.Bytes);
        }
        catch (JsonException ex)
        {
            errors.Add(new InputError(line.Number, InputValidator.LineField, $"invalid JSON: {JsonErrors.Describe(ex)}"));
            return null;
        }
        using (document)
            return validator.Validate(document.RootElement, line.Number, index, errors);
    }
}
