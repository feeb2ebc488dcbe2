using System.Text.Json.Serialization;

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
/// JudgeModel is the configured judge model that produced a judge pair's verdict (for the self-preference audit);
/// it is null for revision pairs.
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
    string? JudgeModel = null)
{
    public bool IsDecisive => Verdict is Preference.A or Preference.B;

    /// <summary>Deterministic row keys make a retried activity overwrite its earlier write.</summary>
    public static string KeyFor(int itemIndex, PairSource source) =>
        $"{itemIndex:D7}-{(source == PairSource.Judge ? "judge" : "revision")}";
}
