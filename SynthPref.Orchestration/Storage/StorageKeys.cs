using System.Security.Cryptography;
using System.Text;

namespace SynthPref.Orchestration.Storage;

/// <summary>Rules for ids that become Table keys and blob paths.</summary>
public static class StorageKeys
{
    /// <summary>Letters, digits, '-' and '_' only: safe as a RowKey, PartitionKey and path segment.</summary>
    public static bool IsSafe(string key, int maxLength) => Problem(key, maxLength) is null;

    /// <summary>What keeps <paramref name="key"/> from being a key-safe id (<see cref="IsSafe"/>), said so that a caller
    /// can fix it: the length, or the first character that is not allowed. Null when it is safe.</summary>
    public static string? Problem(string? key, int maxLength)
    {
        if (string.IsNullOrEmpty(key)) return "is empty.";
        if (key.Length > maxLength) return $"is {key.Length} characters long; the most is {maxLength}.";
        foreach (var c in key)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                return $"holds {Describe(c)}; only letters, digits, '-' and '_' may appear in it.";
        return null;
    }

    /// <summary>A character as an error message shows it: control characters by code point, since they print as nothing.</summary>
    public static string Describe(char c) => char.IsControl(c) || char.IsWhiteSpace(c) || char.IsSurrogate(c)
        ? $"U+{(int)c:X4}"
        : $"'{c}'";

    /// <summary>Echoes a caller's text in a message without its control characters, and not all of an over-long one.</summary>
    public static string Printable(string text)
    {
        var shown = text.Length > 120 ? text[..120] + "…" : text;
        return string.Concat(shown.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }

    /// <summary>A stable, key-safe digest of free text (lower-case hex).</summary>
    public static string Hash(string text, int hexChars) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..hexChars].ToLowerInvariant();
}
