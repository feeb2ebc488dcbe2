using SynthPref.Orchestration.Judging;

namespace SynthPref.Orchestration.Pairs;

/// <summary>
/// One judge's text answers (every call, retries included, in both orders) and those rejected because they lacked the
/// PREFERENCE line (<see cref="VerdictParser.HasVerdictLine"/>), with the first such answer's opening as an example.
/// Structured (JSON-schema) answers have no verdict line, so they are not counted.
/// </summary>
public sealed record VerdictLineTally(int Answers, int WithoutVerdictLine, string? Example = null)
{
    /// <summary>How much of an answer the status and report quote.</summary>
    public const int ExampleChars = 160;

    /// <summary>Answers a judge must have given before the status judges whether it drops the line.</summary>
    public const int WarnAfterAnswers = 20;

    /// <summary>Once the judge has given <see cref="WarnAfterAnswers"/> answers, more than half of them lacked the line.</summary>
    public bool MostlyWithoutVerdictLine => Answers >= WarnAfterAnswers && WithoutVerdictLine * 2 > Answers;

    public VerdictLineTally Add(VerdictLineTally other) =>
        new(Answers + other.Answers, WithoutVerdictLine + other.WithoutVerdictLine, Example ?? other.Example);

    /// <summary>Each judge's tally over the judge pairs given, judges in ordinal order.</summary>
    public static IReadOnlyDictionary<string, VerdictLineTally> Of(IEnumerable<PreferencePair> pairs)
    {
        var tallies = new SortedDictionary<string, VerdictLineTally>(StringComparer.Ordinal);
        foreach (var pair in pairs.Where(p => p.Source == PairSource.Judge).OrderBy(p => p.ItemIndex))
            foreach (var verdict in pair.JudgeVerdicts.Where(j => !j.Structured))
            {
                var tally = Of(verdict);
                tallies[verdict.Name] = tallies.TryGetValue(verdict.Name, out var sum) ? sum.Add(tally) : tally;
            }
        return tallies;
    }

    /// <summary>One judge's verdict on one pair: its calls, and those whose answer lacked the line.</summary>
    public static VerdictLineTally Of(JudgeVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        var missing = (verdict.UnparseableOutputs ?? []).Where(o => !VerdictParser.HasVerdictLine(o)).ToList();
        var example = missing.FirstOrDefault(o => !string.IsNullOrWhiteSpace(o)) is { } text ? Excerpt(text) : null;
        return new VerdictLineTally(verdict.Calls, missing.Count, example);
    }

    /// <summary>Sums two sets of tallies, judges in ordinal order, so the same results give the same sums in any order.</summary>
    public static IReadOnlyDictionary<string, VerdictLineTally>? Merge(IReadOnlyDictionary<string, VerdictLineTally>? a,
        IReadOnlyDictionary<string, VerdictLineTally>? b)
    {
        if (b is not { Count: > 0 }) return a;
        var sum = new SortedDictionary<string, VerdictLineTally>(StringComparer.Ordinal);
        foreach (var (judge, tally) in a ?? new Dictionary<string, VerdictLineTally>()) sum[judge] = tally;
        foreach (var (judge, tally) in b) sum[judge] = sum.TryGetValue(judge, out var had) ? had.Add(tally) : tally;
        return sum;
    }

    /// <summary>The warning the status gives for a judge that drops the line, or null.</summary>
    public string? Warning(string judge) => !MostlyWithoutVerdictLine ? null
        : $"Judge '{judge}': {WithoutVerdictLine} of its {Answers} answers so far had no PREFERENCE line, so no verdict could be read from them. " +
          $"Its answers look like: \"{Example ?? "(empty answer)"}\". A model that drops the line may need structuredOutput, a larger model, or a prompt it follows.";

    static string Excerpt(string text)
    {
        var flat = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (flat.Length <= ExampleChars) return flat;
        var cut = char.IsHighSurrogate(flat[ExampleChars - 1]) ? ExampleChars - 1 : ExampleChars;
        return string.Concat(flat.AsSpan(0, cut).TrimEnd(), "…");
    }
}
