using Microsoft.AspNetCore.Http;
using SynthPref.Orchestration.Llm;

namespace SynthPref.FakeLlm;

/// <summary>
/// A deterministic judge/critic decided by the request content alone, so many tests can share one server.
/// Markers in the query or response texts pick the behaviour: [[garbage]], [[first]], [[tie]] in the query;
/// [[good]] in a response. Otherwise the longer response (by words) wins.
/// </summary>
public static class FakeJudgeResponder
{
    public const string CritiqueMarker = "CRITIQUE REQUEST:";
    public const string RevisionMarker = "REVISION REQUEST:";
    public const string CritiqueText = "The response could be more precise.";
    public const string RevisionPrefix = "(improved) ";
    public const string PolicyPrefix = "Policy answer to: ";
    public const string NoCritiqueMarker = "[[nocritique]]";
    public const string GarbageText = "I cannot decide, both are fine.";

    public static Func<FakeChatRequest, FakeReply> Create(JudgePromptReader reader) => request => Respond(request, reader);

    public static FakeReply Respond(FakeChatRequest request, JudgePromptReader reader)
    {
        var last = request.LastUserText;
        if (last is null)
            return FakeReply.Error(StatusCodes.Status400BadRequest, "fake judge: no user message");

        // An item whose critic is down: its judge pair still succeeds.
        if (last.Contains(CritiqueMarker, StringComparison.Ordinal) && request.Messages.Any(m => m.Text.Contains(NoCritiqueMarker, StringComparison.Ordinal)))
            return FakeReply.Error(StatusCodes.Status400BadRequest, "fake critic: unavailable for this item");

        var trimmed = last.TrimStart();
        if (trimmed.StartsWith(RevisionMarker, StringComparison.Ordinal))
            return Revise(request);
        if (trimmed.StartsWith(CritiqueMarker, StringComparison.Ordinal))
            return FakeReply.Answer(CritiqueText);
        if (last.Contains(RevisionMarker, StringComparison.Ordinal))
            return Revise(request);
        if (last.Contains(CritiqueMarker, StringComparison.Ordinal))
            return FakeReply.Answer(CritiqueText);

        // A lone user message without the judge template is the policy model being asked for a response.
        if (!reader(last, out var query, out var a, out var b))
            return request.Messages.Count(m => m.Role != "system") == 1
                ? FakeReply.Answer(PolicyPrefix + last)
                : FakeReply.Error(StatusCodes.Status400BadRequest, "fake judge: last user message is not a judge prompt");

        return FakeReply.Answer(Judge(query, a, b));
    }

    public static string Judge(string query, string a, string b)
    {
        if (query.Contains("[[garbage]]", StringComparison.Ordinal))
            return GarbageText;
        if (query.Contains("[[first]]", StringComparison.Ordinal))
            return Verdict("A", "first-position");
        if (query.Contains("[[tie]]", StringComparison.Ordinal))
            return Verdict("TIE", "tie-marker");

        var aGood = a.Contains("[[good]]", StringComparison.Ordinal);
        var bGood = b.Contains("[[good]]", StringComparison.Ordinal);
        if (aGood != bGood)
            return Verdict(aGood ? "A" : "B", "good-marker");

        var aWords = Words(a);
        var bWords = Words(b);
        return aWords == bWords ? Verdict("TIE", "equal-length") : Verdict(aWords > bWords ? "A" : "B", "longer");
    }

    static FakeReply Revise(FakeChatRequest request)
    {
        // The original response is the assistant turn just before the critique request.
        var messages = request.Messages;
        var critique = -1;
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].Role == "user" && messages[i].Text.Contains(CritiqueMarker, StringComparison.Ordinal))
            {
                critique = i;
                break;
            }
        }

        var original = critique > 0
            ? messages.Take(critique).LastOrDefault(m => m.Role == "assistant")
            : messages.FirstOrDefault(m => m.Role == "assistant");

        return original is null
            ? FakeReply.Error(StatusCodes.Status400BadRequest, "fake reviser: no assistant response to revise")
            : FakeReply.Answer(RevisionPrefix + original.Text);
    }

    static string Verdict(string preference, string rule) =>
        $"PREFERENCE: {preference}\nCONFIDENCE: high\nREASONING: fake judge rule {rule}";

    static int Words(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
}
