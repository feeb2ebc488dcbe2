using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace SynthPref.Orchestration.Revision;

public sealed record RevisionResult(string Critique, string Revised);

/// <summary>Critiques a response and rewrites it; the rewrite becomes the preferred side of a revision pair.</summary>
public sealed partial class ConstitutionalReviser(IChatClient chat)
{
    public const string Role = "reviser";

    private readonly IChatClient _chat = chat ?? throw new ArgumentNullException(nameof(chat));

    public async Task<RevisionResult> ReviseAsync(string prompt, string response, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(response);

        var critiqueResponse = await _chat.GetResponseAsync(CritiquePrompts.BuildCritique(prompt, response), cancellationToken: ct)
            .ConfigureAwait(false);
        var critique = critiqueResponse.Text.Trim();
        // An empty assistant turn would make the revision request meaningless, so fail here with the real cause.
        if (critique.Length == 0)
        {
            throw new InvalidOperationException("The model returned an empty critique; cannot ask for a revision without one.");
        }

        var revisionResponse = await _chat.GetResponseAsync(CritiquePrompts.BuildRevision(prompt, response, critique), cancellationToken: ct)
            .ConfigureAwait(false);
        var revised = RevisionLabel().Replace(revisionResponse.Text.Trim(), string.Empty, 1).Trim();
        // Storing an empty "revised" text would create a pair whose winner is blank.
        if (revised.Length == 0)
        {
            throw new InvalidOperationException("The model returned an empty revision; no revision pair can be made from it.");
        }

        return new RevisionResult(critique, revised);
    }

    // Models often echo a label before the rewrite ("Revision:", "**Revised response:**").
    [GeneratedRegex(
        @"^(?:[#>\s]*)[*_]*\s*(?:revision|revised\s+response|revised|rewritten\s+response)\s*[*_]*\s*:\s*[*_]*",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RevisionLabel();
}
