using System.Text.RegularExpressions;

namespace SynthPref.Orchestration.Audit;

/// <summary>Markdown formatting cues a judge may reward for their look rather than their content.</summary>
public static partial class FormatFeatures
{
    /// <summary>
    /// True when the text has at least two list-item lines (<c>- </c>, <c>* </c>, <c>+ </c>, <c>1. </c>, <c>1) </c>),
    /// a markdown heading line (<c># Title</c>) or a table row (<c>| a | b |</c>). One stray bullet is not formatting.
    /// </summary>
    public static bool IsFormatted(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return false;

        int listItems = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (Heading().IsMatch(line) || TableRow().IsMatch(line))
                return true;
            if (ListItem().IsMatch(line) && ++listItems >= 2)
                return true;
        }
        return false;
    }

    // A marker, then whitespace, then content: "---" rules and "1.5 litres" are not list items.
    [GeneratedRegex(@"^[ \t]*(?:[-*+]|[0-9]{1,9}[.)])[ \t]+\S")]
    private static partial Regex ListItem();

    // ATX headings: up to three spaces of indent, one to six '#', then a space or the end ("#hashtag" is not one).
    [GeneratedRegex(@"^ {0,3}#{1,6}(?:[ \t]|$)")]
    private static partial Regex Heading();

    // A row opens and closes with a pipe and has something between them.
    [GeneratedRegex(@"^[ \t]*\|.*\S.*\|[ \t]*$")]
    private static partial Regex TableRow();
}
