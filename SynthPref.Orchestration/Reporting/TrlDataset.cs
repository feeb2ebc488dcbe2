using System.Text.Encodings.Web;
using System.Text.Json;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Reporting;

/// <summary>
/// Writes pairs in the prompt/chosen/rejected layout TRL's DPOTrainer reads from JSONL.
/// Ties and unparseable verdicts carry no preference, so they are not training rows; nor are revisions flagged
/// revisionRegression by verification.
/// </summary>
public static class TrlDataset
{
    // Relaxed escaping keeps non-ASCII text readable in the file; JSONL is never embedded in HTML.
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    public static IEnumerable<string> ToJsonLines(IEnumerable<PreferencePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return Rows(pairs).Select(ToJsonLine);
    }

    private static IEnumerable<PreferencePair> Rows(IEnumerable<PreferencePair> pairs) =>
        // A verified revision that did not beat its original is no evidence of a better answer.
        pairs.Where(p => p.IsDecisive && !p.RevisionRegression)
            .OrderBy(p => p.ItemIndex)
            .ThenBy(p => p.Source)
            // Final key keeps the file byte-identical however storage ordered the rows.
            .ThenBy(p => p.PairId, StringComparer.Ordinal);

    private static string ToJsonLine(PreferencePair pair)
    {
        var (chosen, rejected) = pair.Verdict == Preference.A
            ? (pair.ResponseA, pair.ResponseB)
            : (pair.ResponseB, pair.ResponseA);

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("prompt", pair.Prompt);
            writer.WriteString("chosen", chosen);
            writer.WriteString("rejected", rejected);
            writer.WriteString("id", pair.InputId);
            writer.WriteString("category", pair.Category);
            writer.WriteString("source", pair.Source == PairSource.Judge ? "judge" : "revision");
            if (pair.Confidence is { } confidence)
                writer.WriteString("confidence", ConfidenceName(confidence));
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string ConfidenceName(Confidence confidence) => confidence switch
    {
        Confidence.High => "high",
        Confidence.Medium => "medium",
        Confidence.Low => "low",
        _ => throw new ArgumentOutOfRangeException(nameof(confidence), confidence, null),
    };
}
