using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Trust;

namespace SynthPref.Orchestration.Reporting;

/// <summary>
/// Writes pairs in the prompt/chosen/rejected layout TRL's DPOTrainer reads from JSONL.
/// Ties and unparseable verdicts carry no preference, so they are not training rows; nor are revisions flagged
/// revisionRegression by verification. With trustTarget the rows are the trust assessment's, each saying who chose
/// (label_source), and the escalated pairs go to escalated.jsonl with their trust points; TRL ignores extra columns.
/// A pair with an empty or identical response is never a row (<see cref="PreferencePair.DatasetExclusion"/>). Every row
/// of a file has the same fields, null where unknown: prompt, chosen, rejected, id, category, source, confidence (the
/// judges', null for a revision or a choice people made) and label_source (null without trustTarget).
/// Conversation pairs use TRL's conversational formats: when both sides share everything but the judged answer,
/// <c>prompt</c> is that message list and <c>chosen</c>/<c>rejected</c> are one-message lists (explicit prompt); when
/// their earlier assistant turns differ, <c>chosen</c> and <c>rejected</c> are the two whole conversations and there is
/// no <c>prompt</c> (implicit prompt). Single-turn pairs keep the string format.
/// </summary>
public static class TrlDataset
{
    // Relaxed escaping keeps non-ASCII text readable in the file; JSONL is never embedded in HTML.
    static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    public static IEnumerable<string> ToJsonLines(IEnumerable<PreferencePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return Rows(pairs).Select(ToJsonLine);
    }

    /// <summary>Whether a pair is a training row of a run without trustTarget. A verified revision that did not beat its
    /// original is no evidence of a better answer, and a pair with an empty or identical response is no preference.</summary>
    public static bool IsRow(PreferencePair pair) => pair.IsDecisive && !pair.RevisionRegression && pair.DatasetExclusion is null;

    static IEnumerable<PreferencePair> Rows(IEnumerable<PreferencePair> pairs) =>
        pairs.Where(IsRow)
            .OrderBy(p => p.ItemIndex)
            .ThenBy(p => p.Source)
            // Final key keeps the file byte-identical however storage ordered the rows.
            .ThenBy(p => p.PairId, StringComparer.Ordinal);

    /// <summary>The dataset of a run with trustTarget, in the order given (the assessment's: item order).</summary>
    public static IEnumerable<string> ToJsonLines(IEnumerable<LabelledPair> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return rows.Select(r => ToJsonLine(r.Pair, r.Chosen, r.Source, escalated: false));
    }

    /// <summary>escalated.jsonl: the escalated pairs no reviewer labelled, in the dataset's shape (the judges' choice as
    /// chosen) plus trust_points and input_id, so they can be sent to people or dropped.</summary>
    public static IEnumerable<string> EscalatedJsonLines(IEnumerable<PreferencePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return pairs.Select(p => ToJsonLine(p, p.Verdict, LabelSource.Judge, escalated: true));
    }

    static string ToJsonLine(PreferencePair pair) => ToJsonLine(pair, pair.Verdict, null, escalated: false);

    static string ToJsonLine(PreferencePair pair, Preference choice, LabelSource? labelSource, bool escalated)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer, pair, choice, labelSource, escalated);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// A JSONL file written as it goes to a stream (a blob being uploaded in blocks), one row at a time, each exactly the
    /// line <see cref="ToJsonLines(IEnumerable{PreferencePair})"/> gives; the file never exists whole in memory.
    /// </summary>
    public sealed class LineWriter(Stream stream)
    {
        readonly ArrayBufferWriter<byte> line = new();

        public int Lines { get; private set; }

        /// <summary>A row of a run without trustTarget: the judges' choice.</summary>
        public Task WriteAsync(PreferencePair pair, CancellationToken ct) => WriteAsync(pair, pair.Verdict, null, escalated: false, ct);

        /// <summary>A row of a run with trustTarget: who chose, and what.</summary>
        public Task WriteAsync(LabelledPair row, CancellationToken ct) => WriteAsync(row.Pair, row.Chosen, row.Source, escalated: false, ct);

        /// <summary>A line of escalated.jsonl.</summary>
        public Task WriteEscalatedAsync(PreferencePair pair, CancellationToken ct) =>
            WriteAsync(pair, pair.Verdict, LabelSource.Judge, escalated: true, ct);

        async Task WriteAsync(PreferencePair pair, Preference choice, LabelSource? labelSource, bool escalated, CancellationToken ct)
        {
            line.ResetWrittenCount();
            Write(line, pair, choice, labelSource, escalated);
            line.Write("\n"u8);
            await stream.WriteAsync(line.WrittenMemory, ct);
            Lines++;
        }
    }

    static void Write(IBufferWriter<byte> buffer, PreferencePair pair, Preference choice, LabelSource? labelSource, bool escalated)
    {
        var (chosen, rejected) = choice == Preference.A
            ? (pair.ResponseA, pair.ResponseB)
            : (pair.ResponseB, pair.ResponseA);

        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            if (pair.Conversation is not { } conversation)
            {
                writer.WriteString("prompt", pair.Prompt);
                writer.WriteString("chosen", chosen);
                writer.WriteString("rejected", rejected);
            }
            else if (conversation.IsShared)
            {
                ChatTurn.WriteList(writer, "prompt", conversation.ContextA, null);
                ChatTurn.WriteList(writer, "chosen", [], chosen);
                ChatTurn.WriteList(writer, "rejected", [], rejected);
            }
            else
            {
                var (chosenContext, rejectedContext) = choice == Preference.A
                    ? (conversation.ContextA, conversation.ContextB)
                    : (conversation.ContextB, conversation.ContextA);
                ChatTurn.WriteList(writer, "chosen", chosenContext, chosen);
                ChatTurn.WriteList(writer, "rejected", rejectedContext, rejected);
            }
            writer.WriteString("id", pair.InputId);
            writer.WriteString("category", pair.Category);
            writer.WriteString("source", pair.Source == PairSource.Judge ? "judge" : "revision");
            // The judges' confidence describes their verdict, not a choice people made.
            if (pair.Confidence is { } confidence && labelSource != LabelSource.Human)
                writer.WriteString("confidence", ConfidenceName(confidence));
            else
                writer.WriteNull("confidence");
            if (labelSource is { } source)
                writer.WriteString("label_source", source == LabelSource.Human ? "human" : "judge");
            else
                writer.WriteNull("label_source");
            if (escalated)
            {
                writer.WriteNumber("trust_points", pair.TrustPoints ?? 0);
                writer.WriteString("input_id", pair.InputId);
            }
            writer.WriteEndObject();
        }
    }

    static string ConfidenceName(Confidence confidence) => confidence switch
    {
        Confidence.High => "high",
        Confidence.Medium => "medium",
        Confidence.Low => "low",
        _ => throw new ArgumentOutOfRangeException(nameof(confidence), confidence, null),
    };
}
