using System.Security.Cryptography;
using System.Text;

namespace SynthPref.Orchestration.Storage;

/// <summary>Rules for ids that become Table keys and blob paths.</summary>
public static class StorageKeys
{
    /// <summary>Letters, digits, '-' and '_' only: safe as a RowKey, PartitionKey and path segment.</summary>
    public static bool IsSafe(string key, int maxLength) =>
        key.Length > 0 && key.Length <= maxLength && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>A stable, key-safe digest of free text (lower-case hex).</summary>
    public static string Hash(string text, int hexChars) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..hexChars].ToLowerInvariant();
}
