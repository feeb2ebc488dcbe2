using System.Collections.Concurrent;
using SynthPref.Orchestration.Llm;

namespace SynthPref.Orchestration.Judging;

/// <summary>A judge of the panel: its name, the role its calls are counted under, its model, and its client.</summary>
public sealed record PanelJudge(string Name, string Role, string? Model, PairwiseJudge Judge)
{
    /// <summary>This judge's verdict on a pair, under its name and model.</summary>
    public Task<JudgeVerdict> JudgeAsync(string query, string responseA, string responseB, bool swapPositions, bool structured, CancellationToken ct) =>
        Judge.JudgeAsync(query, responseA, responseB, swapPositions, ct, structured, Name, Model);

    public Task<JudgeVerdict> JudgeAsync(JudgeSubject subject, bool swapPositions, bool structured, CancellationToken ct) =>
        Judge.JudgeAsync(subject, swapPositions, ct, structured, Name, Model);
}

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

    /// <summary>Which panel judged a pair's verdict, as <see cref="Combine"/> names it.</summary>
    public const string Name = "jury";

    /// <summary>
    /// The pair's verdict, read as one judge's would be (named <see cref="Name"/>; Model: the judges' models joined by
    /// ", "): the majority verdict; the lowest confidence among the judges that voted for it (low when no judge did, a
    /// tie for want of a majority); the reasoning of the first judge that voted for it; position flags when any judge
    /// judged both orders or flipped between them; the first judge's positional labels; all calls.
    /// </summary>
    public static JudgeVerdict Combine(IReadOnlyList<JudgeVerdict> judges)
    {
        ArgumentNullException.ThrowIfNull(judges);
        if (judges.Count == 0) throw new ArgumentException("A jury needs at least one judge.", nameof(judges));

        var verdict = Majority(judges.Select(j => j.Verdict));
        var voters = judges.Where(j => j.Verdict == verdict && verdict != Preference.Unparseable).ToList();
        Confidence? confidence = verdict == Preference.Unparseable ? null
            : voters.Count == 0 ? Confidence.Low
            : voters.Select(v => v.Confidence).Where(c => c is not null).Min();
        var first = judges[0];
        return new JudgeVerdict(
            Name,
            string.Join(", ", judges.Select(j => j.Model).Where(m => m is not null)) is { Length: > 0 } models ? models : null,
            verdict,
            confidence,
            voters.FirstOrDefault()?.Reasoning,
            first.Forward,
            first.Swapped,
            judges.Any(j => j.JudgedBothOrders),
            judges.Any(j => j.PositionInconsistent),
            judges.Sum(j => j.Calls),
            judges.All(j => j.Structured))
        {
            FellBackToText = judges.Any(j => j.FellBackToText),
        };
    }
}
