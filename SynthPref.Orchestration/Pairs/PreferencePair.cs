using System.Text.Json.Serialization;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Revision;

namespace SynthPref.Orchestration.Pairs;

[JsonConverter(typeof(JsonStringEnumConverter<PairSource>))]
public enum PairSource { Judge, Revision }

/// <summary>Why a pair is left out of the dataset although it was judged (see <see cref="PreferencePair.DatasetExclusion"/>).</summary>
public enum DatasetExclusion { EmptyResponse, IdenticalResponses }

/// <summary>
/// A stored preference pair. For judge pairs A/B are the input's response_a/response_b, and the verdict is the jury's
/// (<see cref="Jury.Combine"/>): its label, confidence and reasoning, its position flags, the first judge's positional
/// labels (Forward, Swapped: A = the text shown first, for the position audit), every call, and the judges' models
/// (JudgeModel, joined by ", "; for the self-preference audit). For revision pairs A is the revised text and B the
/// original, so the verdict is always A ("revised wins"), and JudgeModel is null.
/// Judges: each judge's own verdict (one entry with a single judge). Rounds: a revision pair's critique → revise
/// rounds. Verification: a revision pair's check against its original, when the run asked for one. TrustPoints: how
/// much the panel backs a decisive judge pair's verdict (see <see cref="Judging.TrustPoints"/>), null for other pairs.
/// CategorySpelling: the input's own spelling of the category when the run's categoryKey folded it into another key
/// (Category), null when they are the same.
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
    Preference? Forward,
    Preference? Swapped,
    int Calls,
    string? JudgeModel = null,
    IReadOnlyList<JudgeVerdict>? Judges = null,
    IReadOnlyList<RevisionRound>? Rounds = null,
    RevisionCheck? Verification = null,
    int? TrustPoints = null,
    string? CategorySpelling = null,
    Conversation? Conversation = null,
    string? Reference = null,
    ReferenceSource? ReferenceSource = null)
{
    /// <summary>The judges graded this pair against a reference answer.</summary>
    public bool ReferenceGuided => Reference is not null;

    /// <summary>A judge pair with its jury's verdict and every judge's own, its item's conversation, and the reference
    /// the judges graded against (none: no reference was wanted).</summary>
    public static PreferencePair Judged(string runId, Input.InputItem item, IReadOnlyList<JudgeVerdict> judges, ItemReference? reference = null)
    {
        var jury = Jury.Combine(judges);
        return new PreferencePair(
            runId, KeyFor(item.Index, PairSource.Judge), item.Index, item.Id, item.Category,
            PairSource.Judge, item.Prompt, item.ResponseA!, item.ResponseB!, item.ModelA, item.ModelB,
            jury.Verdict, jury.Confidence, jury.Reasoning, jury.JudgedBothOrders, jury.PositionInconsistent,
            jury.Forward, jury.Swapped, jury.Calls, jury.Model, judges, TrustPoints: Judging.TrustPoints.Of(jury.Verdict, judges),
            Conversation: item.Conversation, Reference: reference?.Text, ReferenceSource: reference?.Source);
    }

    public bool IsDecisive => Verdict is Preference.A or Preference.B;

    /// <summary>Why this pair is never a dataset row whatever its verdict: a response that is empty or only white space
    /// (checked first), or two responses that are the same text (ordinal equality); null for a pair that may be one. A
    /// pair like this is still judged, sampled and reviewed: it says something about the judge, nothing to train on.</summary>
    public DatasetExclusion? DatasetExclusion =>
        string.IsNullOrWhiteSpace(ResponseA) || string.IsNullOrWhiteSpace(ResponseB) ? Pairs.DatasetExclusion.EmptyResponse
        : string.Equals(ResponseA, ResponseB, StringComparison.Ordinal) ? Pairs.DatasetExclusion.IdenticalResponses
        : null;

    /// <summary>A verified revision that did not beat its original: it stays stored and counted, but is no training row.</summary>
    public bool RevisionRegression => Verification?.Regression == true;

    /// <summary>Each judge's verdict on this pair; pairs stored before juries existed had one judge, kept in the pair's own fields.</summary>
    public IReadOnlyList<JudgeVerdict> JudgeVerdicts => Judges ?? (Source == PairSource.Judge
        ? [new JudgeVerdict(JudgeVerdict.DefaultName, JudgeModel, Verdict, Confidence, Reasoning, Forward, Swapped,
            JudgedBothOrders, PositionInconsistent, Calls)]
        : []);

    /// <summary>Deterministic row keys make a retried activity overwrite its earlier write.</summary>
    public static string KeyFor(int itemIndex, PairSource source) =>
        $"{KeyPrefix(itemIndex)}-{(source == PairSource.Judge ? "judge" : "revision")}";

    /// <summary>The largest item index whose keys sort in item order: <see cref="KeyPrefix"/> has seven digits.</summary>
    public const int MaxOrderedItemIndex = 9_999_999;

    /// <summary>The start of an item's row keys: its index in seven digits, so keys sort in item order up to
    /// <see cref="MaxOrderedItemIndex"/>.</summary>
    public static string KeyPrefix(int itemIndex) => itemIndex.ToString("D7", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The item index a row key of <see cref="KeyFor"/>'s form names.</summary>
    public static bool TryItemIndexOf(string key, out int itemIndex)
    {
        itemIndex = 0;
        return key.Length > 7 && key[7] == '-'
            && int.TryParse(key.AsSpan(0, 7), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out itemIndex);
    }
}

/// <summary>A stored pair as sampling sees it: its keys, category, source, verdict and the judge's confidence, without
/// its texts or details.</summary>
public readonly record struct PairSummary(string PairId, int ItemIndex, string Category, PairSource Source, Preference Verdict,
    Confidence? Confidence);

/// <summary>The judge's (or jury's) verdict between the final revision (A) and the original (B), in both orders.
/// Regression: the original won, or it was a tie. Stored with the pair (Calls as "judgeCalls").</summary>
public sealed record RevisionCheck(Preference Verdict, bool Regression, [property: JsonPropertyName("judgeCalls")] int Calls);
