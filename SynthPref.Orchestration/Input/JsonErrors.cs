using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SynthPref.Orchestration.Input;

/// <summary>
/// System.Text.Json's message without its own position suffix ("Path: $ | LineNumber: 0 | BytePositionInLine: 52."),
/// whose zero-based line counts inside the text it was given (one JSONL line, one array element) and so disagrees with
/// the input's line the caller names. What is left is the reason, and where in that text it was found, as a 1-based
/// byte.
/// </summary>
public static partial class JsonErrors
{
    public static string Describe(JsonException e, bool withPosition = true)
    {
        ArgumentNullException.ThrowIfNull(e);
        var reason = PositionSuffix().Replace(e.Message, "").Trim().TrimEnd('.');
        if (!withPosition || e.BytePositionInLine is not { } byteInLine) return reason + ".";
        return e.LineNumber is > 0 and { } lineNumber
            ? string.Create(CultureInfo.InvariantCulture, $"{reason} (at byte {byteInLine + 1} of its line {lineNumber + 1}).")
            : string.Create(CultureInfo.InvariantCulture, $"{reason} (at byte {byteInLine + 1}).");
    }

    [GeneratedRegex(@"\s*(Path: [^|]*\|\s*)?LineNumber: \d+ \| BytePositionInLine: \d+\.?", RegexOptions.CultureInvariant)]
    private static partial Regex PositionSuffix();
}
