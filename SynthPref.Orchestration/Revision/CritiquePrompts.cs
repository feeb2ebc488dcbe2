using Microsoft.Extensions.AI;
using SynthPref.Orchestration.Input;

namespace SynthPref.Orchestration.Revision;

/// <summary>
/// Constitutional-AI critique and revision requests (Bai et al., 2022). Every critique asks the seed's question,
/// problems with accuracy, completeness or safety, and a round's principle (<see cref="Constitution"/>) says what to
/// look at in particular. The fixed markers at the start of each request let test doubles and replay providers tell
/// the two calls apart without parsing prose.
/// </summary>
public static class CritiquePrompts
{
    public const string CritiqueMarker = "CRITIQUE REQUEST:";
    public const string RevisionMarker = "REVISION REQUEST:";

    public const string CritiqueRequest =
        "Identify specific problems with the accuracy, completeness or safety of the assistant's last response.";

    public const string RevisionRequest =
        "Please rewrite the assistant response to fix the problems the critique identified, so that it is accurate, complete and safe.";

    // Without this the model tends to wrap the rewrite in commentary, which would end up in the stored pair.
    const string RevisionOutputRule = "Reply with the rewritten response only, without any preamble or commentary.";

    /// <param name="context">A conversation's turns before the response (ending with the user message it answers),
    /// which stand in for the prompt; null: the prompt alone, as always.</param>
    public static IList<ChatMessage> BuildCritique(string prompt, string response, Principle? principle = null, IReadOnlyList<ChatTurn>? context = null) =>
    [
        .. context is null ? [new ChatMessage(ChatRole.User, prompt)] : context.Select(t => new ChatMessage(new ChatRole(t.Role), t.Content)),
        new ChatMessage(ChatRole.Assistant, response),
        new ChatMessage(ChatRole.User, $"{CritiqueMarker} {CritiqueRequest}{InParticular(principle?.Critique)}"),
    ];

    public static IList<ChatMessage> BuildRevision(string prompt, string response, string critique, Principle? principle = null,
        IReadOnlyList<ChatTurn>? context = null) =>
    [
        .. BuildCritique(prompt, response, principle, context),
        new ChatMessage(ChatRole.Assistant, critique),
        new ChatMessage(ChatRole.User, $"{RevisionMarker} {RevisionRequest}{InParticular(principle?.Revision)} {RevisionOutputRule}"),
    ];

    static string InParticular(string? text) => text is null ? "" : $" In particular: {text}";
}
