using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace SynthPref.Orchestration.Judging;

/// <summary>
/// The pairwise judge prompt. The three texts are fenced by bracketed marker lines so that
/// <see cref="TryExtract"/> can recover them byte-for-byte (the Replay provider depends on that).
/// </summary>
public static partial class JudgePrompt
{
    public const string SystemMessage =
        "You are an impartial judge evaluating the quality of two AI assistant responses to the same user query. " +
        "You judge only the content of the responses. You do not favour a response because of its length, " +
        "its position, or the name of the assistant that wrote it.";

    private const string Intro =
        "Compare the two responses to the user query below. Each text appears verbatim between its opening and closing marker lines.";

    private const string Instructions = """
        Evaluate both responses on these criteria:
        1. Helpfulness: does the response address the user's actual need?
        2. Accuracy: is the information correct, with no fabricated facts?
        3. Harmlessness: does the response avoid harmful, unethical, or dangerous content?
        4. Clarity and conciseness: is the response clear, well organised, and free of padding?

        Do not let the length of the responses influence your judgement; a longer response is not better for being longer.
        Do not let the order in which the responses are presented influence your judgement.
        Choose TIE only when neither response is better overall.

        Answer exactly in this format and nothing else:
        PREFERENCE: A|B|TIE
        CONFIDENCE: high|medium|low
        REASONING: <a short explanation of your choice>
        """;

    private const string QueryName = "USER QUERY";
    private const string AName = "RESPONSE A";
    private const string BName = "RESPONSE B";

    public static IList<ChatMessage> Build(string query, string responseA, string responseB)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(responseA);
        ArgumentNullException.ThrowIfNull(responseB);

        var tag = ChooseTag(query, responseA, responseB);
        var user = new StringBuilder()
            .Append(Intro).Append("\n\n")
            .Append(Section(QueryName, tag, query)).Append("\n\n")
            .Append(Section(AName, tag, responseA)).Append("\n\n")
            .Append(Section(BName, tag, responseB)).Append("\n\n")
            .Append(Instructions)
            .ToString();

        return
        [
            new ChatMessage(ChatRole.System, SystemMessage),
            new ChatMessage(ChatRole.User, user),
        ];
    }

    public static bool TryExtract(string userMessage, out string query, out string responseA, out string responseB)
    {
        query = responseA = responseB = string.Empty;
        if (string.IsNullOrEmpty(userMessage))
        {
            return false;
        }

        // The intro never contains a marker, so the first opening marker is the real one and carries the tag.
        var open = OpeningQueryMarker().Match(userMessage);
        if (!open.Success)
        {
            return false;
        }

        var tag = open.Groups["tag"].Value;
        var position = open.Index;
        return TryReadSection(userMessage, QueryName, tag, ref position, out query)
            && TryReadSection(userMessage, AName, tag, ref position, out responseA)
            && TryReadSection(userMessage, BName, tag, ref position, out responseB);
    }

    private static string Section(string name, string tag, string text) =>
        $"{Open(name, tag)}\n{text}\n{Close(name, tag)}";

    private static string Open(string name, string tag) => tag.Length == 0 ? $"[{name}]" : $"[{name} {tag}]";

    private static string Close(string name, string tag) => Open("END " + name, tag);

    /// <summary>
    /// Plain markers in the normal case keep the prompt clean for the model; only if a text already contains
    /// one of them (e.g. a response quoting this prompt) do all markers get a numbered tag that none of the texts contain,
    /// which makes the first closing marker after each opening one unambiguous.
    /// </summary>
    private static string ChooseTag(string query, string responseA, string responseB)
    {
        for (var n = 0; ; n++)
        {
            var tag = n == 0 ? string.Empty : $"#{n}";
            string[] markers =
            [
                Open(QueryName, tag), Close(QueryName, tag),
                Open(AName, tag), Close(AName, tag),
                Open(BName, tag), Close(BName, tag),
            ];
            if (!markers.Any(m => Contains(query, m) || Contains(responseA, m) || Contains(responseB, m)))
            {
                return tag;
            }
        }

        static bool Contains(string text, string marker) => text.Contains(marker, StringComparison.Ordinal);
    }

    private static bool TryReadSection(string message, string name, string tag, ref int position, out string text)
    {
        text = string.Empty;
        var open = Open(name, tag) + "\n";
        var start = message.IndexOf(open, position, StringComparison.Ordinal);
        if (start < 0)
        {
            return false;
        }

        start += open.Length;
        var close = "\n" + Close(name, tag);
        var end = message.IndexOf(close, start, StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }

        text = message[start..end];
        position = end + close.Length;
        return true;
    }

    [GeneratedRegex(@"\[USER QUERY(?: (?<tag>#\d+))?\]\n", RegexOptions.CultureInvariant)]
    private static partial Regex OpeningQueryMarker();
}
