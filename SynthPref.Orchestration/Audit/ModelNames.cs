namespace SynthPref.Orchestration.Audit;

public static class ModelNames
{
    /// <summary>
    /// Whether two model names denote the same model, case-insensitively: equal, or one is the other followed by a
    /// non-alphanumeric separator and a suffix, so a snapshot matches its alias ("gpt-4o-mini" ~ "gpt-4o-mini-2024-07-18",
    /// "llama3.1" ~ "llama3.1:8b") while "gpt-4" does not match "gpt-4o". Blank names never match.
    /// The rule is deliberately loose: a family prefix also matches its variants ("gpt-4o" ~ "gpt-4o-mini").
    /// </summary>
    public static bool SameModel(string? first, string? second)
    {
        if (string.IsNullOrWhiteSpace(first) || string.IsNullOrWhiteSpace(second))
            return false;
        var a = first.Trim();
        var b = second.Trim();
        if (a.Length > b.Length)
            (a, b) = (b, a);
        return b.StartsWith(a, StringComparison.OrdinalIgnoreCase)
               && (b.Length == a.Length || !char.IsLetterOrDigit(b[a.Length]));
    }
}
