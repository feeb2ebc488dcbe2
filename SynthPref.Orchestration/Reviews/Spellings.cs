using System.Reflection;
using System.Text.Json.Serialization;

namespace SynthPref.Orchestration.Reviews;

/// <summary>
/// How the review stage's reasons are spelled wherever they are written down (Table properties, JSON, the report's
/// text): each value's <see cref="JsonStringEnumMemberNameAttribute"/>, so a spelling is stated once, on its value, and
/// stays what runs stored before the reasons were types.
/// </summary>
public static class Spellings
{
    public static string Spelling(this ReviewEnd end) => Names<ReviewEnd>.ByValue[end];

    public static string Spelling(this RoundsStop stop) => Names<RoundsStop>.ByValue[stop];

    /// <summary>The value spelled <paramref name="spelling"/>.</summary>
    public static T Parse<T>(string spelling) where T : struct, Enum =>
        Names<T>.BySpelling.TryGetValue(spelling, out var value)
            ? value
            : throw new FormatException($"'{spelling}' is not a {typeof(T).Name} (one of {string.Join(", ", Names<T>.BySpelling.Keys)}).");

    static class Names<T> where T : struct, Enum
    {
        public static readonly IReadOnlyDictionary<T, string> ByValue = typeof(T).GetFields(BindingFlags.Public | BindingFlags.Static)
            .ToDictionary(f => (T)f.GetValue(null)!, f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name
                ?? throw new InvalidOperationException($"{typeof(T).Name}.{f.Name} has no spelling."));

        public static readonly IReadOnlyDictionary<string, T> BySpelling = ByValue.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
    }
}
