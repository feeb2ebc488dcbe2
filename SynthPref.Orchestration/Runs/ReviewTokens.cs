using System.Security.Cryptography;
using System.Text;

namespace SynthPref.Orchestration.Runs;

/// <summary>
/// The secret in a run's review link: random and URL-safe. Only its SHA-256 is stored, so storage, backups and the
/// runs table never hold a usable link; a check hashes what was given and compares the hashes in constant time.
/// </summary>
public static class ReviewTokens
{
    public static string New() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static bool Matches(string? given, string storedHash)
    {
        if (string.IsNullOrEmpty(given) || storedHash.Length != 64) return false;
        Span<byte> expected = stackalloc byte[32];
        if (Convert.FromHexString(storedHash, expected, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
            return false;
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), expected);
    }
}
