using System.Text.Json.Serialization;
using SynthPref.Orchestration.Settings;

namespace SynthPref.Orchestration.Judging;

/// <summary>Where a pair's reference answer came from: the input's <c>reference</c>, or the judge model's own answer
/// (<see cref="PairwiseJudge.WriteReferenceAsync"/>); Unavailable: the item's category asked for one but it could not be
/// written (a replay judge has no recording for it, say), so the pair was judged without one.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ReferenceSource>))]
public enum ReferenceSource { Input, Generated, Unavailable }

/// <summary>The reference answer an item's judges grade against (Text null: none), and its source (null: none was wanted).</summary>
public sealed record ItemReference(string? Text, ReferenceSource? Source)
{
    public static readonly ItemReference None = new(null, null);

    /// <summary>Whether an item of <paramref name="category"/> gets a generated reference; categories match ignoring case.</summary>
    public static bool Wanted(IReadOnlyList<string>? categories, string category) =>
        (categories ?? RunSettings.DefaultReferenceCategories).Contains(category, StringComparer.OrdinalIgnoreCase);
}
