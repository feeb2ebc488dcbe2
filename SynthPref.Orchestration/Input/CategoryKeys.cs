using System.Globalization;
using System.Text;
using SynthPref.Orchestration.Settings;

namespace SynthPref.Orchestration.Input;

public static class CategoryKeys
{
    /// <summary>The option's spellings, as run options and blob metadata give them.</summary>
    public const string ExactName = "exact", FoldedName = "folded";

    public static string Key(string category, CategoryKey mode) => mode == CategoryKey.Folded ? Fold(category) : category;

    /// <summary>
    /// The folded key: Unicode punctuation (categories Pc, Pd, Ps, Pe, Pi, Pf, Po) removed, letters lower-cased with
    /// the invariant culture, every run of white space made one space, and the ends trimmed. "(Wolfram alpha)?" and
    /// " Wolfram  Alpha" both become "wolfram alpha"; "Yelp" and "yelp." become "yelp". A category that is nothing but
    /// punctuation keeps its trimmed, lower-cased text, so it is not merged with every other such category.
    /// </summary>
    public static string Fold(string category)
    {
        ArgumentNullException.ThrowIfNull(category);
        var text = category.Normalize(NormalizationForm.FormC);
        var folded = new StringBuilder(text.Length);
        var space = false;
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune)) { space = folded.Length > 0; continue; }
            if (IsPunctuation(Rune.GetUnicodeCategory(rune))) continue;
            if (space) folded.Append(' ');
            space = false;
            folded.Append(Rune.ToLowerInvariant(rune).ToString());
        }
        return folded.Length > 0 ? folded.ToString() : text.Trim().ToLowerInvariant();
    }

    static bool IsPunctuation(UnicodeCategory c) => c is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
        or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
        or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    /// <summary>Parses the option (case-insensitive); null with <paramref name="problem"/> set for anything else.</summary>
    public static CategoryKey? Parse(string? text, out string? problem)
    {
        problem = null;
        switch (text?.Trim().ToLowerInvariant())
        {
            case null: return null;
            case ExactName: return CategoryKey.Exact;
            case FoldedName: return CategoryKey.Folded;
            default:
                problem = $"'{text}' is not {ExactName} or {FoldedName}.";
                return null;
        }
    }
}
