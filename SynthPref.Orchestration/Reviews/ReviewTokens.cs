using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace SynthPref.Orchestration.Reviews;

/// <summary>
/// The secret in a run's review link: random and URL-safe. Only its SHA-256 is stored, so storage, backups and the
/// runs table never hold a usable link; a check hashes what was given and compares the hashes in constant time.
/// </summary>
public static class ReviewTokens
{
    /// <summary>
    /// The review token travels in this header only. A token in a URL ends up in access logs, proxy logs and Application
    /// Insights request telemetry, so links carry it in the fragment (<c>#token=</c>), which browsers never send, and
    /// the review page moves it into the header.
    /// </summary>
    public const string Header = "X-Review-Token";

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

    /// <summary>The token a request carries in <see cref="Header"/>; null without one.</summary>
    public static string? Of(HttpRequest req) =>
        req.Headers.TryGetValue(Header, out var header) && !string.IsNullOrEmpty(header) ? header.ToString() : null;
}
