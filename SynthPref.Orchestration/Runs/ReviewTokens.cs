using System.Security.Cryptography;
using System.Text;

namespace SynthPref.Orchestration.Runs;

/// <summary>The secret in a run's review link: random, URL-safe, compared in constant time.</summary>
public static class ReviewTokens
{
    public static string New() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool Matches(string? given, string expected) =>
        !string.IsNullOrEmpty(given) && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));
}
