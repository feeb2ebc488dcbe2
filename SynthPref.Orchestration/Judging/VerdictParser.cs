using System.Text.RegularExpressions;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Judging;

public sealed record ParsedVerdict(Preference Preference, Confidence? Confidence, string? Reasoning);

/// <summary>
/// Reads the judge's PREFERENCE / CONFIDENCE / REASONING answer. Models decorate the format freely
/// (markdown bold, headings, brackets, "Response A"), so those are tolerated; anything that does not name exactly
/// one of A, B or TIE is rejected so that a vague answer becomes a retry rather than a wrong label.
/// </summary>
public static partial class VerdictParser
{
    private enum ValueKind { None, Single, Ambiguous }

    private readonly record struct LabelLine(int LineIndex, string Label, string Value);

    private static readonly string[] PreferenceWords = ["a", "b", "tie"];
    private static readonly string[] ConfidenceWords = ["high", "medium", "low"];

    public static ParsedVerdict? Parse(string? text)
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
        return new ParsedVerdict(
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

    private static List<LabelLine> FindLabelLines(string[] lines)
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
    private static string? ReadValue(List<LabelLine> labels, string[] lines, string label, string[] words)
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

    private static (ValueKind Kind, string? Word) ClassifyValue(string value, string[] words)
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

    private static string? ReadReasoning(List<LabelLine> labels, string[] lines)
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

    private static string? NextNonBlankLine(string[] lines, int after)
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

    private static bool IsBlankAfterDecoration(string value) => value.Trim(Decoration).Length == 0;

    private static readonly char[] Decoration = [' ', '\t', '*', '_', '`', '#', '>', ':', '-'];

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
}
