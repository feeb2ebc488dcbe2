using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;

namespace SynthPref.FakeLlm;

/// <summary>
/// A deterministic judge/critic decided by the request content alone, so many tests can share one server.
/// Markers in the query or response texts pick the behaviour: [[garbage]], [[first]], [[tie]], [[echo]] (the judge
/// quotes both responses before its verdict) and [[regress]] (the reviser makes the answer worse) in the query;
/// [[good]] in a response; [[server-error]] anywhere gets an HTTP 500 with an OpenAI-style error body. Otherwise the longer response (by words) wins. Every verdict is stated with high confidence,
/// or medium or low with [[medium]] or [[low]] in the query.
/// The model name picks a judge's character, so several judges can share one server: a model containing
/// "contrarian" prefers the other response, one containing "noschema" refuses <c>response_format</c>. Answers use
/// the prompt's verdict line, or JSON when the request asks for a JSON schema.
/// </summary>
public static class FakeJudgeResponder
{
    public const string CritiqueMarker = "CRITIQUE REQUEST:";
    public const string RevisionMarker = "REVISION REQUEST:";
    public const string CritiqueText = "The response could be more precise.";
    public const string RevisionPrefix = "(improved) ";
    public const string RegressedRevision = "worse";
    public const string PolicyPrefix = "Policy answer to: ";
    public const string ReferencePrefix = "Reference answer to: ";
    public const string NoReferenceMarker = "[[noreference]]";
    public const string NoCritiqueMarker = "[[nocritique]]";
    /// <summary>Any request holding it is answered HTTP 500 with an OpenAI-style error body carrying
    /// <see cref="ServerErrorMessage"/>, as a provider's outage is.</summary>
    public const string ServerErrorMarker = "[[server-error]]";
    public const string ServerErrorMessage = "The server had an error while processing your request. Sorry about that!";
    public const string RegressMarker = "[[regress]]";
    public const string EchoMarker = "[[echo]]";
    public const string MediumMarker = "[[medium]]";
    public const string LowMarker = "[[low]]";
    public const string GarbageText = "I cannot decide, both are fine.";
    public const string ContrarianModel = "contrarian";
    public const string NoSchemaModel = "noschema";
    public const string SchemaRefusal = "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.";

    public static Func<FakeChatRequest, FakeReply> Create(JudgePromptReader reader) => request => Respond(request, reader);

    public static FakeReply Respond(FakeChatRequest request, JudgePromptReader reader)
    {
        var last = request.LastUserText;
        if (last is null)
            return FakeReply.Error(StatusCodes.Status400BadRequest, "fake judge: no user message");
        if (request.ResponseFormat is not null && request.Model.Contains(NoSchemaModel, StringComparison.OrdinalIgnoreCase))
            return FakeReply.Error(StatusCodes.Status400BadRequest, SchemaRefusal);

        if (request.Messages.Any(m => m.Text.Contains(ServerErrorMarker, StringComparison.Ordinal)))
            return FakeReply.Error(StatusCodes.Status500InternalServerError, ServerErrorMessage);

        // An item whose critic is down: its judge pair still succeeds.
        if (last.Contains(CritiqueMarker, StringComparison.Ordinal) && request.Messages.Any(m => m.Text.Contains(NoCritiqueMarker, StringComparison.Ordinal)))
            return FakeReply.Error(StatusCodes.Status400BadRequest, "fake critic: unavailable for this item");

        // The judge model writing its own answer, to grade an item against: a reference the judge's rules can tell apart.
        if (request.Messages.FirstOrDefault()?.Text.StartsWith(JudgePrompt.ReferenceMarker, StringComparison.Ordinal) == true)
            return last.Contains(NoReferenceMarker, StringComparison.Ordinal)
                ? FakeReply.Error(StatusCodes.Status400BadRequest, "fake judge: no reference for this item")
                : FakeReply.Answer(ReferencePrefix + last);

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
            return request.Messages.Count(m => m.Role != "system") == 1 || request.Messages[^1].Role == "user" && !last.Contains(CritiqueMarker, StringComparison.Ordinal)
                ? FakeReply.Answer(PolicyPrefix + last)
                : FakeReply.Error(StatusCodes.Status400BadRequest, "fake judge: last user message is not a judge prompt");

        var (preference, rule) = Decide(query, a, b);
        if (preference is not null && request.Model.Contains(ContrarianModel, StringComparison.OrdinalIgnoreCase))
            preference = preference switch { "A" => "B", "B" => "A", _ => preference };
        if (request.WantsJsonSchema)
            return FakeReply.Answer(preference is null
                ? GarbageText
                : new JsonObject { ["preference"] = preference, ["confidence"] = ConfidenceFor(query), ["reasoning"] = $"fake judge rule {rule}" }.ToJsonString());
        var answer = preference is null ? GarbageText : JudgePrompt.WrapAnswer(last, Verdict(preference, rule, ConfidenceFor(query)));
        return FakeReply.Answer(query.Contains(EchoMarker, StringComparison.Ordinal)
            ? $"Let me restate the two responses first.\nResponse A says:\n{a}\nResponse B says:\n{b}\n\n{answer}"
            : answer);
    }

    /// <summary>The verdict in the text template (without the prompt's verdict line), or the garbage answer.</summary>
    public static string Judge(string query, string a, string b) =>
        Decide(query, a, b) is ({ } preference, var rule) ? Verdict(preference, rule, ConfidenceFor(query)) : GarbageText;

    /// <summary>The confidence every judge states on this query: high unless a marker says otherwise.</summary>
    public static string ConfidenceFor(string query) =>
        query.Contains(MediumMarker, StringComparison.Ordinal) ? "medium"
        : query.Contains(LowMarker, StringComparison.Ordinal) ? "low"
        : "high";

    /// <summary>"A", "B" or "TIE" and the rule that chose it; a null preference for an unparseable answer.</summary>
    static (string? Preference, string Rule) Decide(string query, string a, string b)
    {
        if (query.Contains("[[garbage]]", StringComparison.Ordinal))
            return (null, "garbage");
        if (query.Contains("[[first]]", StringComparison.Ordinal))
            return ("A", "first-position");
        if (query.Contains("[[tie]]", StringComparison.Ordinal))
            return ("TIE", "tie-marker");

        var aGood = a.Contains("[[good]]", StringComparison.Ordinal);
        var bGood = b.Contains("[[good]]", StringComparison.Ordinal);
        if (aGood != bGood)
            return (aGood ? "A" : "B", "good-marker");

        var aWords = Words(a);
        var bWords = Words(b);
        return aWords == bWords ? ("TIE", "equal-length") : (aWords > bWords ? "A" : "B", "longer");
    }

    static FakeReply Revise(FakeChatRequest request)
    {
        var messages = request.Messages;
        if (messages.FirstOrDefault(m => m.Role == "user")?.Text.Contains(RegressMarker, StringComparison.Ordinal) == true)
            return FakeReply.Answer(RegressedRevision);

        // The original response is the assistant turn just before the critique request.
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

    static string Verdict(string preference, string rule, string confidence) =>
        $"PREFERENCE: {preference}\nCONFIDENCE: {confidence}\nREASONING: fake judge rule {rule}";

    static int Words(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
}
