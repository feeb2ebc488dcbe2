using System.Text.Json.Serialization;

namespace SynthPref.Orchestration.Judging;

// The verdict family, each idea once. A judge's answer (JudgeAnswer) comes from one call in one presentation order
// (JudgeCall); one judge's calls on a pair, in the input's own terms, make its verdict (JudgeVerdict, stored with the
// pair); the jury's rule makes the pair's verdict from its judges' (Jury.Combine, also a JudgeVerdict). Everywhere,
// Verdict is the label chosen, Forward and Swapped the positional labels of the two orders, Calls the calls made.

/// <summary>A's text, B's, a tie, or no verdict that could be read.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Preference>))]
public enum Preference { A, B, Tie, Unparseable }

[JsonConverter(typeof(JsonStringEnumConverter<Confidence>))]
public enum Confidence { Low, Medium, High }

/// <summary>What one judge answer says: the label it chose, how sure it says it is, and why.</summary>
public sealed record JudgeAnswer(Preference Verdict, Confidence? Confidence, string? Reasoning)
{
    public static readonly JudgeAnswer Unparseable = new(Preference.Unparseable, null, null);
}

/// <summary>
/// One call of one judge, in one presentation order: its answer, positional (A = the text shown first). RawOutput is
/// the last answer given; UnparseableOutputs every answer that yielded no verdict (null when there was none), so a
/// user can see what the judge said. Structured: the answer came from a JSON-schema answer. FellBackToText: the
/// endpoint refused <c>response_format</c> during this call, and the text template answered instead.
/// </summary>
public sealed record JudgeCall(JudgeAnswer Answer, string RawOutput, int Attempts, IReadOnlyList<string>? UnparseableOutputs = null,
    bool Structured = false, bool FellBackToText = false);

/// <summary>
/// One judge's verdict on one pair, in the input's A/B terms: its verdict after both orders (disagreement between the
/// orders is a tie), its confidence and reasoning, the positional labels of each order, and every raw answer it gave
/// that could not be parsed. Stored with the pair, under these names.
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

    /// <summary>Enough of an unparseable answer to see what went wrong; a model rambling on does not fill the pair.</summary>
    public const int MaxKeptOutputChars = 8_000;

    /// <summary>The endpoint refused structured output during these calls. Not stored: the run keeps which judges are
    /// asked in text from then on (its text-only judges).</summary>
    [JsonIgnore]
    public bool FellBackToText { get; init; }

    public bool IsDecisive => Verdict is Preference.A or Preference.B;
}
