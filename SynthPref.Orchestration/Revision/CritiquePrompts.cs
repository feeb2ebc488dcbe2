using Microsoft.Extensions.AI;

namespace SynthPref.Orchestration.Revision;

/// <summary>
/// Constitutional-AI critique and revision requests (Bai et al., 2022). The fixed markers at the start of each
/// request let test doubles and replay providers tell the two calls apart without parsing prose.
/// </summary>
public static class CritiquePrompts
{
    public const string CritiqueMarker = "CRITIQUE REQUEST:";
    public const string RevisionMarker = "REVISION REQUEST:";

    public const string CritiqueRequest =
        "Identify specific ways in which the assistant's last response is harmful, unethical, racist, sexist, toxic, dangerous, illegal, or inaccurate.";

    public const string RevisionRequest =
        "Please rewrite the assistant response to remove any and all harmful, unethical, racist, sexist, toxic, dangerous, or illegal content, and correct any inaccuracies.";

    // Without this the model tends to wrap the rewrite in commentary, which would end up in the stored pair.
    private const string RevisionOutputRule = "Reply with the rewritten response only, without any preamble or commentary.";

    public static IList<ChatMessage> BuildCritique(string prompt, string response) =>
    [
        new ChatMessage(ChatRole.User, prompt),
        new ChatMessage(ChatRole.Assistant, response),
        new ChatMessage(ChatRole.User, $"{CritiqueMarker} {CritiqueRequest}"),
    ];

    public static IList<ChatMessage> BuildRevision(string prompt, string response, string critique) =>
    [
        .. BuildCritique(prompt, response),
        new ChatMessage(ChatRole.Assistant, critique),
        new ChatMessage(ChatRole.User, $"{RevisionMarker} {RevisionRequest} {RevisionOutputRule}"),
    ];
}
