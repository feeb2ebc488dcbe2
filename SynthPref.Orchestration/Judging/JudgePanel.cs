using System.Collections.Concurrent;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Judging;

/// <summary>A judge of the panel: its name, the role its calls are counted under, its model, and its client.</summary>
public sealed record PanelJudge(string Name, string Role, string? Model, PairwiseJudge Judge);

/// <summary>
/// The judges a host can call: the default judge (section <c>Llm</c>, named <see cref="JudgeVerdict.DefaultName"/>,
/// counted as "judge") and one per <c>Judges:&lt;name&gt;</c> section (counted as "judge:&lt;name&gt;"), each with its own
/// client, so its own concurrency limit and cache identity. A run's <c>judges</c> option names some of them.
/// </summary>
public sealed class JudgePanel(LlmClients clients, PromptBoundaryKey key)
{
    public const int MaxJudges = 9;

    readonly ConcurrentDictionary<string, PanelJudge> judges = new(StringComparer.Ordinal);

    public static string RoleOf(string name) => name == JudgeVerdict.DefaultName ? LlmRoles.Judge : LlmRoles.ForJudge(name);

    /// <summary>The configured judge a run option names, as the configuration spells it; null when there is none.</summary>
    public string? Resolve(string name) =>
        string.Equals(name, JudgeVerdict.DefaultName, StringComparison.OrdinalIgnoreCase) ? JudgeVerdict.DefaultName
        : clients.Sections.FindJudge(name);

    /// <summary>Every name a run may use.</summary>
    public IReadOnlyList<string> Names => [JudgeVerdict.DefaultName, .. clients.Sections.JudgeNames
        .Where(n => !string.Equals(n, JudgeVerdict.DefaultName, StringComparison.OrdinalIgnoreCase))];

    /// <summary>What is wrong with a judge's configuration, each problem naming its key.</summary>
    public IReadOnlyList<string> Problems(string name) => clients.Problems(RoleOf(name));

    /// <summary>The judge model of section <c>Llm</c> writing reference answers, its calls counted under their own role.</summary>
    public Microsoft.Extensions.AI.IChatClient ReferenceWriter => clients.ForRole(LlmRoles.Reference);

    /// <summary>The judges of a run: those it names, in its order, or the default judge alone.</summary>
    public IReadOnlyList<PanelJudge> For(IReadOnlyList<string>? names) =>
        names is { Count: > 0 } ? names.Select(Get).ToList() : [Get(JudgeVerdict.DefaultName)];

    public PanelJudge Get(string name) => judges.GetOrAdd(name, n =>
    {
        var role = RoleOf(n);
        return new PanelJudge(n, role, clients.Sections.ModelOf(role), new PairwiseJudge(clients.ForRole(role), key));
    });
}

/// <summary>One judge's verdict on a pair, as the jury sees it.</summary>
public sealed record JurorVerdict(PanelJudge Judge, PairVerdict Verdict)
{
    /// <summary>Enough of an unparseable answer to see what went wrong; a model rambling on does not fill the pair.</summary>
    public const int MaxKeptOutputChars = 8_000;

    public JudgeVerdict ToStored() => new(
        Judge.Name, Judge.Model, Verdict.Preference, Verdict.Confidence, Verdict.Reasoning,
        Verdict.Forward.Preference, Verdict.Swapped?.Preference, Verdict.JudgedBothOrders, Verdict.PositionInconsistent, Verdict.Calls,
        Verdict.Forward.Structured && (Verdict.Swapped?.Structured ?? true),
        Verdict.Forward.UnparseableOutputs is null && Verdict.Swapped?.UnparseableOutputs is null
            ? null
            : [.. (Verdict.Forward.UnparseableOutputs ?? []).Concat(Verdict.Swapped?.UnparseableOutputs ?? []).Select(Shorten)]);

    static string Shorten(string output) =>
        output.Length <= MaxKeptOutputChars ? output : string.Concat(output.AsSpan(0, MaxKeptOutputChars), "…");
}

/// <summary>The pair's verdict from its judges' verdicts, and what the pair stores of each. TrustPoints: see
/// <see cref="Judging.TrustPoints"/> (null unless the verdict is A or B).</summary>
public sealed record JuryVerdict(
    Preference Preference,
    Confidence? Confidence,
    string? Reasoning,
    bool JudgedBothOrders,
    bool PositionInconsistent,
    Preference? ForwardCall,
    Preference? SwappedCall,
    int Calls,
    string? JudgeModel,
    IReadOnlyList<JudgeVerdict> Judges,
    int? TrustPoints = null);

/// <summary>
/// The majority rule. A label (A, B or tie) wins when more than half of the judges that gave a parseable verdict
/// chose it; otherwise the pair is a tie; with no parseable verdict at all it is unparseable. One judge is its own
/// majority, so a single-judge pair is exactly that judge's verdict.
/// </summary>
public static class Jury
{
    static readonly Preference[] Labels = [Preference.A, Preference.B, Preference.Tie];

    public static Preference Majority(IEnumerable<Preference> verdicts)
    {
        ArgumentNullException.ThrowIfNull(verdicts);
        var parsed = verdicts.Where(v => v != Preference.Unparseable).ToList();
        if (parsed.Count == 0) return Preference.Unparseable;
        foreach (var label in Labels)
            if (2 * parsed.Count(v => v == label) > parsed.Count)
                return label;
        return Preference.Tie;
    }

    /// <summary>
    /// The pair's fields: the majority verdict; the lowest confidence among the judges that voted for it (low when no
    /// judge did, a tie for want of a majority); the reasoning of the first judge that voted for it; position flags
    /// when any judge judged both orders or flipped between them; the first judge's positional answers; all calls.
    /// </summary>
    public static JuryVerdict Combine(IReadOnlyList<JurorVerdict> jurors)
    {
        ArgumentNullException.ThrowIfNull(jurors);
        if (jurors.Count == 0) throw new ArgumentException("A jury needs at least one judge.", nameof(jurors));

        var verdict = Majority(jurors.Select(j => j.Verdict.Preference));
        var voters = jurors.Where(j => j.Verdict.Preference == verdict && verdict != Preference.Unparseable).ToList();
        Confidence? confidence = verdict == Preference.Unparseable ? null
            : voters.Count == 0 ? Confidence.Low
            : voters.Select(v => v.Verdict.Confidence).Where(c => c is not null).Min();
        var first = jurors[0].Verdict;
        var stored = jurors.Select(j => j.ToStored()).ToList();
        return new JuryVerdict(
            verdict,
            confidence,
            voters.FirstOrDefault()?.Verdict.Reasoning,
            jurors.Any(j => j.Verdict.JudgedBothOrders),
            jurors.Any(j => j.Verdict.PositionInconsistent),
            first.Forward.Preference,
            first.Swapped?.Preference,
            jurors.Sum(j => j.Verdict.Calls),
            string.Join(", ", jurors.Select(j => j.Judge.Model).Where(m => m is not null)) is { Length: > 0 } models ? models : null,
            stored,
            Judging.TrustPoints.Of(verdict, stored));
    }
}
