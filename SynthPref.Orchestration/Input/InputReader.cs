using System.Text.Json;

namespace SynthPref.Orchestration.Input;

/// <summary>Reads one line of JSONL input into a validated item.</summary>
public static class InputReader
{
    /// <summary>Longest JSONL line accepted by default; <c>Input:MaxLineBytes</c> sets it per host.</summary>
    public const int DefaultMaxLineBytes = 4 * 1024 * 1024;

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
            errors.Add(new InputError(line.Number, InputValidator.LineField, $"invalid JSON: {ex.Message}"));
            return null;
        }
        using (document)
            return validator.Validate(document.RootElement, line.Number, index, errors);
    }
}
