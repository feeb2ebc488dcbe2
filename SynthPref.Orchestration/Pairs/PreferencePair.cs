using System.Text.Json.Serialization;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;

namespace SynthPref.Orchestration.Pairs;

[JsonConverter(typeof(JsonStringEnumConverter<Preference>))]
public enum Preference { A, B, Tie, Unparseable }

[JsonConverter(typeof(JsonStringEnumConverter<Confidence>))]
public enum Confidence { Low, Medium, High }

[JsonConverter(typeof(JsonStringEnumConverter<PairSource>))]
public enum PairSource { Judge, Revision }

/// <summary>
/// A stored preference pair. For judge pairs A/B are the input's response_a/response_b.
/// For revision pairs A is the revised text and B the original, so the verdict is always A ("revised wins").
/// ForwardCall/SwappedCall keep the raw positional answers (A = the text shown first) for the position audit.
/// JudgeModel is the configured judge model that produced a judge pair's verdict (for the self-preference audit; with
/// a jury, the judges' models joined by ", "); it is null for revision pairs.
/// Judges: each judge's own verdict (one entry with a single judge). Rounds: a revision pair's critique → revise
/// rounds. Verification: a revision pair's check against its original, when the run asked for one. TrustPoints: how
/// much the panel backs a decisive judge pair's verdict (see <see cref="Judging.TrustPoints"/>), null for other pairs.
/// Conversation: each side's dialogue before its judged answer, for conversation items (Prompt is then the last user
/// message, ResponseA/ResponseB the judged final turns; a revision pair's sides both follow side A's dialogue).
/// Reference and ReferenceSource: the reference answer the judges graded against, and where it came from.
/// </summary>
public sealed record PreferencePair(
    string RunId,
    string PairId,
    int ItemIndex,
    string InputId,
    string Category,
    PairSource Source,
    string Prompt,
    string ResponseA,
    string ResponseB,
    string? ModelA,
    string? ModelB,
    Preference Verdict,
    Confidence? Confidence,
    string? Reasoning,
    bool JudgedBothOrders,
    bool PositionInconsistent,
    Preference? ForwardCall,
    Preference? SwappedCall,
    int JudgeCalls,
    string? JudgeModel = null,
    IReadOnlyList<JudgeVerdict>? Judges = null,
    IReadOnlyList<RevisionRound>? Rounds = null,
    RevisionCheck? Verification = null,
    int? TrustPoints = null,
    Conversation? Conversation = null,
    string? Reference = null,
    ReferenceSource? ReferenceSource = null)
{
    /// <summary>The judges graded this pair against a reference answer.</summary>
    public bool ReferenceGuided => Reference is not null;

    public bool IsDecisive => Verdict is Preference.A or Preference.B;

    /// <summary>A verified revision that did not beat its original: it stays stored and counted, but is no training row.</summary>
    public bool RevisionRegression => Verification?.Regression == true;

    /// <summary>Each judge's verdict on this pair; pairs stored before juries existed had one judge, kept in the pair's own fields.</summary>
    public IReadOnlyList<JudgeVerdict> JudgeVerdicts => Judges ?? (Source == PairSource.Judge
        ? [new JudgeVerdict(JudgeVerdict.DefaultName, JudgeModel, Verdict, Confidence, Reasoning, ForwardCall, SwappedCall,
            JudgedBothOrders, PositionInconsistent, JudgeCalls)]
        : []);

    /// <summary>Deterministic row keys make a retried activity overwrite its earlier write.</summary>
    public static string KeyFor(int itemIndex, PairSource source) =>
        $"{itemIndex:D7}-{(source == PairSource.Judge ? "judge" : "revision")}";
}

/// <summary>
/// One judge's verdict on one pair: its final verdict after both orders (disagreement between the orders is a tie),
/// its confidence and reasoning, its positional answers, and every raw answer it gave that could not be parsed.
/// </summary>
public sealed record JudgeVerdict(
    string Name,
    string? Model,
    Preference Verdict,
    Confidence? Confidence,
    string? Reasoning,
    Preference? Forward,
    Preference? Swapped,
    bool JudgedBothOrders,
    bool PositionInconsistent,
    int Calls,
    bool Structured = false,
    IReadOnlyList<string>? UnparseableOutputs = null)
{
    /// <summary>The judge of the <c>Llm</c> section, which judges when a run names no judges.</summary>
    public const string DefaultName = "default";
}

/// <summary>One critique → revise round: the principle it drew, the critique, and the revised text.</summary>
public sealed record RevisionRound(int Round, string Principle, string Critique, string Revision);

/// <summary>The judge's (or jury's) verdict between the final revision (A) and the original (B), in both orders.
/// Regression: the original won, or it was a tie.</summary>
public sealed record RevisionCheck(Preference Verdict, bool Regression, int JudgeCalls);
