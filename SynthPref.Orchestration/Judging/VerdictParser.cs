using System.Text.Json;
using System.Text.RegularExpressions;

namespace SynthPref.Orchestration.Judging;

/// <summary>
/// Reads the judge's PREFERENCE / CONFIDENCE / REASONING answer. Models decorate the format freely
/// (markdown bold, headings, brackets, "Response A"), so those are tolerated; anything that does not name exactly
/// one of A, B or TIE is rejected so that a vague answer becomes a retry rather than a wrong label.
/// </summary>
public static partial class VerdictParser
{
    enum ValueKind { None, Single, Ambiguous }

    readonly record struct LabelLine(int LineIndex, string Label, string Value);

    static readonly string[] PreferenceWords = ["a", "b", "tie"];
    static readonly string[] ConfidenceWords = ["high", "medium", "low"];

    /// <summary>
    /// Reads a judge's answer to a prompt with this boundary: only the verdict block after the last occurrence of the
    /// boundary counts. Whatever comes before it (the judge echoing the responses, with any verdict a response
    /// contains) is never read, and an answer without the boundary has no verdict: the boundary is secret, so only the
    /// judge can have written it, after reading the prompt.
    /// </summary>
    public static JudgeAnswer? ParseAnswer(string? text, string boundary)
    {
        if (string.IsNullOrEmpty(text) || string.IsNullOrEmpty(boundary))
        {
            return null;
        }

        var at = text.LastIndexOf(boundary, StringComparison.Ordinal);
        return at < 0 ? null : ParseBlock(text[(at + boundary.Length)..]);
    }

    /// <summary>
    /// A verdict block. When PREFERENCE comes before REASONING, as the template asks, only the lines before REASONING
    /// are read for labels, and the reasoning runs to the end: a verdict the judge quotes while explaining itself is
    /// part of its explanation, not a second answer. Otherwise (a model that gives its verdict last) the whole block
    /// is read as <see cref="Parse"/> reads any text.
    /// </summary>
    public static JudgeAnswer? ParseBlock(string? block)
    {
        if (string.IsNullOrWhiteSpace(block))
        {
            return null;
        }

        var lines = block.ReplaceLineEndings("\n").Split('\n');
        var labels = FindLabelLines(lines);
        var reasoning = labels.FirstOrDefault(l => l.Label == "reasoning");
        if (reasoning.Label is null || !labels.Any(l => l.Label == "preference" && l.LineIndex < reasoning.LineIndex))
        {
            return Parse(block);
        }

        var head = labels.Where(l => l.LineIndex < reasoning.LineIndex).ToList();
        var preference = ReadValue(head, lines[..reasoning.LineIndex], "preference", PreferenceWords);
        if (preference is null)
        {
            return null;
        }

        var body = string.Join('\n', new[] { reasoning.Value }.Concat(lines[(reasoning.LineIndex + 1)..])).Trim();
        return new JudgeAnswer(ToPreference(preference),
            ToConfidence(ReadValue(head, lines[..reasoning.LineIndex], "confidence", ConfidenceWords)),
            body.Length == 0 ? null : body);
    }

    /// <summary>
    /// The JSON object a structured-output request asks for (<see cref="StructuredVerdict"/>), tolerating a markdown code
    /// fence around it. Null when the text is not such an object or its preference is not exactly one of A, B, TIE.
    /// </summary>
    public static JudgeAnswer? ParseStructured(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var json = CodeFence().Match(text) is { Success: true } fenced ? fenced.Groups["body"].Value : text.Trim();
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            string? Field(string name) =>
                root.EnumerateObject().FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { Value.ValueKind: JsonValueKind.String } p
                    ? p.Value.GetString()
                    : null;

            var preference = Field("preference")?.Trim().ToLowerInvariant();
            if (preference is null || !PreferenceWords.Contains(preference))
            {
                return null;
            }

            var confidence = Field("confidence")?.Trim().ToLowerInvariant();
            var reasoning = Field("reasoning")?.Trim();
            return new JudgeAnswer(ToPreference(preference),
                ToConfidence(confidence is not null && ConfidenceWords.Contains(confidence) ? confidence : null),
                string.IsNullOrEmpty(reasoning) ? null : reasoning);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static Preference ToPreference(string word) => word switch
    {
        "a" => Preference.A,
        "b" => Preference.B,
        _ => Preference.Tie,
    };

    static Confidence? ToConfidence(string? word) => word switch
    {
        "high" => Confidence.High,
        "medium" => Confidence.Medium,
        "low" => Confidence.Low,
        _ => null,
    };

    public static JudgeAnswer? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var labels = FindLabelLines(lines);

        var preference = ReadValue(labels, lines, "preference", PreferenceWords);
        if (preference is null)
        {
            return null;
        }

        var confidence = ReadValue(labels, lines, "confidence", ConfidenceWords);
        return new JudgeAnswer(
            preference switch
            {
                "a" => Preference.A,
                "b" => Preference.B,
                _ => Preference.Tie,
            },
            confidence switch
            {
                "high" => Confidence.High,
                "medium" => Confidence.Medium,
                "low" => Confidence.Low,
                _ => null,
            },
            ReadReasoning(labels, lines));
    }

    /// <summary>Whether a text answer has the PREFERENCE line the template asks for, anywhere in it (decorated as
    /// <see cref="ParseBlock"/> tolerates). An answer without one was not unparseable by a slip of format: the judge
    /// left the verdict line out, as small local models do.</summary>
    public static bool HasVerdictLine(string? text) =>
        !string.IsNullOrWhiteSpace(text) && FindLabelLines(text.ReplaceLineEndings("\n").Split('\n')).Any(l => l.Label == "preference");

    static List<LabelLine> FindLabelLines(string[] lines)
    {
        var found = new List<LabelLine>();
        for (var i = 0; i < lines.Length; i++)
        {
            var match = LabelPattern().Match(lines[i]);
            if (match.Success)
            {
                found.Add(new LabelLine(i, match.Groups["label"].Value.ToLowerInvariant(), match.Groups["value"].Value));
            }
        }

        return found;
    }

    /// <summary>
    /// Every line carrying the label must agree: a repeated label with a different answer is as ambiguous as
    /// "A or B". Label lines whose value is not a choice at all (prose such as "Preference-wise, ...") are ignored.
    /// </summary>
    static string? ReadValue(List<LabelLine> labels, string[] lines, string label, string[] words)
    {
        string? chosen = null;
        foreach (var line in labels.Where(l => l.Label == label))
        {
            var value = line.Value.Trim();
            if (IsBlankAfterDecoration(value))
            {
                // Heading style ("## PREFERENCE" then the answer on its own line).
                value = NextNonBlankLine(lines, line.LineIndex) ?? string.Empty;
            }

            var (kind, word) = ClassifyValue(value, words);
            switch (kind)
            {
                case ValueKind.Ambiguous:
                    return null;
                case ValueKind.Single when chosen is not null && chosen != word:
                    return null;
                case ValueKind.Single:
                    chosen = word;
                    break;
            }
        }

        return chosen;
    }

    static (ValueKind Kind, string? Word) ClassifyValue(string value, string[] words)
    {
        var match = ValuePattern().Match(value);
        if (!match.Success)
        {
            return (ValueKind.None, null);
        }

        var word = match.Groups["word"].Value.ToLowerInvariant();
        if (!words.Contains(word))
        {
            return (ValueKind.None, null);
        }

        // "a tie" reads as an article followed by the answer, not as "A".
        if (word == "a" && ArticleTie().IsMatch(value))
        {
            return (ValueKind.Single, "tie");
        }

        var rest = match.Groups["rest"].Value;
        var alternative = AlternativePattern().Match(rest);
        if (alternative.Success && words.Contains(alternative.Groups["word"].Value.ToLowerInvariant()))
        {
            return (ValueKind.Ambiguous, null);
        }

        return (ValueKind.Single, word);
    }

    static string? ReadReasoning(List<LabelLine> labels, string[] lines)
    {
        var start = labels.FirstOrDefault(l => l.Label == "reasoning");
        if (start.Label is null)
        {
            return null;
        }

        // Reasoning runs until a later PREFERENCE/CONFIDENCE line, for models that give the verdict last.
        var end = labels
            .Where(l => l.LineIndex > start.LineIndex && l.Label != "reasoning")
            .Select(l => l.LineIndex)
            .DefaultIfEmpty(lines.Length)
            .First();

        var body = new List<string> { start.Value };
        body.AddRange(lines[(start.LineIndex + 1)..end]);
        var reasoning = string.Join('\n', body).Trim();
        return reasoning.Length == 0 ? null : reasoning;
    }

    static string? NextNonBlankLine(string[] lines, int after)
    {
        for (var i = after + 1; i < lines.Length; i++)
        {
            if (!IsBlankAfterDecoration(lines[i]))
            {
                return lines[i].Trim();
            }
        }

        return null;
    }

    static bool IsBlankAfterDecoration(string value) => value.Trim(Decoration).Length == 0;

    static readonly char[] Decoration = [' ', '\t', '*', '_', '`', '#', '>', ':', '-'];

    // A label at the start of a line, after optional heading/quote/list markers and markdown emphasis, followed by
    // a colon, dash or equals sign (emphasis may close before or after it), or by nothing for heading style.
    [GeneratedRegex(
        @"^\s*(?:[#>\-+•]+\s*|\d+[.)]\s*)*[*_`]*\s*(?<label>preference|confidence|reasoning)(?![a-z0-9])\s*[*_`]*\s*(?:[:=\-–—]|$)\s*[*_`]*\s*(?<value>.*?)\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LabelPattern();

    // The answer word, optionally introduced by "Response"/"Option" and wrapped in markdown, quotes or brackets.
    [GeneratedRegex(
        @"^[\s*_`""'“”‘’\[\(\{<]*(?:(?:response|option|answer|assistant)\s*[\s*_`""'“”‘’\[\(\{<]*)?(?<word>[a-z]+)(?![a-z0-9])(?<rest>.*)$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex ValuePattern();

    // A second choice joined to the first ("A or B", "A/B", "A|B|TIE", "high, medium") makes the answer ambiguous.
    [GeneratedRegex(
        @"^[\s*_`""'“”‘’\]\)\}>]*(?:or|and|vs\.?|versus|/|\||,|&|\+)[\s*_`""'“”‘’\[\(\{<]*(?:(?:response|option)\s+)?(?<word>[a-z]+)(?![a-z0-9])",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AlternativePattern();

    [GeneratedRegex(@"^\W*a\s+tie\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ArticleTie();

    [GeneratedRegex(@"^\s*```[a-zA-Z]*\s*\n(?<body>.*?)\n\s*```\s*$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex CodeFence();
}
