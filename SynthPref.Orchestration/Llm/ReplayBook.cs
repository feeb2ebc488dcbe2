using System.Text.Json;

namespace SynthPref.Orchestration.Llm;

public enum ReplayVerdict { Response1, Response2, Tie, Garbage }

/// <summary>One recorded judge verdict. <see cref="Line"/> is 1-based, kept so a surprising answer can be traced to its source.</summary>
public sealed record ReplayRecord(string? Query, string Response1, string Response2, ReplayVerdict Verdict, string? Reason, int Line);

/// <summary>Thrown when a replay file line cannot be used; the message names the file and line.</summary>
public sealed class ReplayFormatException(string message) : FormatException(message);

/// <summary>
/// Recorded judge verdicts keyed by the exact response texts. Query is part of the primary key because the same
/// pair of answers can appear under different prompts; the text-only key is a fallback for callers whose
/// prompt wording differs slightly from the recording's.
/// </summary>
public sealed class ReplayBook
{
    readonly Dictionary<(string Query, string R1, string R2), ReplayRecord> byQueryAndTexts = new();
    readonly Dictionary<(string R1, string R2), ReplayRecord> byTexts = new();

    ReplayBook(IReadOnlyList<ReplayRecord> records)
    {
        Records = records;
        // First recording wins for duplicate keys, so lookups are stable regardless of dictionary internals.
        foreach (var r in records)
        {
            if (r.Query is not null)
                byQueryAndTexts.TryAdd((r.Query, r.Response1, r.Response2), r);
            byTexts.TryAdd((r.Response1, r.Response2), r);
        }
    }

    public IReadOnlyList<ReplayRecord> Records { get; }

    public static ReplayBook Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var reader = new StreamReader(path);
        return Parse(reader, path);
    }

    public static ReplayBook Parse(TextReader reader, string sourceName)
    {
        var records = new List<ReplayRecord>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            records.Add(ParseLine(line, lineNumber, sourceName));
        }
        return new ReplayBook(records);
    }

    /// <summary>
    /// Finds the recording for texts shown in order (a, b). <paramref name="swapped"/> is true when the recording
    /// has them the other way round, so the caller must mirror the verdict.
    /// </summary>
    public bool TryFind(string? query, string responseA, string responseB, out ReplayRecord record, out bool swapped)
    {
        if (query is not null)
        {
            if (byQueryAndTexts.TryGetValue((query, responseA, responseB), out record!)) { swapped = false; return true; }
            if (byQueryAndTexts.TryGetValue((query, responseB, responseA), out record!)) { swapped = true; return true; }
        }
        if (byTexts.TryGetValue((responseA, responseB), out record!)) { swapped = false; return true; }
        if (byTexts.TryGetValue((responseB, responseA), out record!)) { swapped = true; return true; }
        swapped = false;
        return false;
    }

    static ReplayRecord ParseLine(string line, int lineNumber, string source)
    {
        string Where() => $"Replay file '{source}' line {lineNumber}";

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            throw new ReplayFormatException($"{Where()}: not valid JSON ({ex.Message})");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new ReplayFormatException($"{Where()}: expected a JSON object, got {root.ValueKind}");

            string? Optional(string name)
            {
                if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
                    return null;
                if (v.ValueKind != JsonValueKind.String)
                    throw new ReplayFormatException($"{Where()}: field '{name}' must be a string, got {v.ValueKind}");
                return v.GetString();
            }

            string Required(string name) =>
                Optional(name) ?? throw new ReplayFormatException($"{Where()}: field '{name}' is required");

            var verdictText = Required("verdict");
            var verdict = verdictText.ToLowerInvariant() switch
            {
                "1" => ReplayVerdict.Response1,
                "2" => ReplayVerdict.Response2,
                "tie" => ReplayVerdict.Tie,
                "garbage" => ReplayVerdict.Garbage,
                _ => throw new ReplayFormatException($"{Where()}: field 'verdict' must be \"1\", \"2\", \"tie\" or \"garbage\", got \"{verdictText}\""),
            };

            return new ReplayRecord(Optional("query"), Required("response_1"), Required("response_2"), verdict, Optional("reason"), lineNumber);
        }
    }
}
