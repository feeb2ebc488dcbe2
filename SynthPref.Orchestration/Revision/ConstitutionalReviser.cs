using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using SynthPref.Orchestration.Input;

namespace SynthPref.Orchestration.Revision;

/// <summary>One critique → revise round: the principle it drew, the critique, and the revised text.</summary>
public sealed record RevisionRound(int Round, string Principle, string Critique, string Revision);

/// <summary>The final critique and revision, and every round that led to them (null when no principles were given).</summary>
public sealed record RevisionResult(string Critique, string Revised, IReadOnlyList<RevisionRound>? Rounds = null);

/// <summary>Critiques a response and rewrites it; the rewrite becomes the preferred side of a revision pair.</summary>
public sealed partial class ConstitutionalReviser(IChatClient chat)
{
    public const string Role = Llm.LlmRoles.Reviser;
    public const int MaxRounds = 4;

    readonly IChatClient client = chat ?? throw new ArgumentNullException(nameof(chat));

    /// <summary>One round with the seed's critique alone.</summary>
    public async Task<RevisionResult> ReviseAsync(string prompt, string response, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(response);
        var (critique, revised) = await RoundAsync(prompt, response, null, ct).ConfigureAwait(false);
        return new RevisionResult(critique, revised);
    }

    /// <summary>One round per principle, each critiquing and revising the text the round before it produced.</summary>
    /// <param name="context">For a conversation item, the dialogue before the response (ending with the user message
    /// it answers), sent as the turns before it; null: the prompt alone.</param>
    public async Task<RevisionResult> ReviseAsync(string prompt, string response, IReadOnlyList<Principle> principles, CancellationToken ct,
        IReadOnlyList<ChatTurn>? context = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(principles);
        if (principles.Count is < 1 or > MaxRounds)
            throw new ArgumentOutOfRangeException(nameof(principles), $"1 to {MaxRounds} rounds, not {principles.Count}.");

        var rounds = new List<RevisionRound>(principles.Count);
        var text = response;
        var critique = string.Empty;
        foreach (var principle in principles)
        {
            (critique, text) = await RoundAsync(prompt, text, principle, ct, context).ConfigureAwait(false);
            rounds.Add(new RevisionRound(rounds.Count + 1, principle.Name, critique, text));
        }
        return new RevisionResult(critique, text, rounds);
    }

    async Task<(string Critique, string Revised)> RoundAsync(string prompt, string response, Principle? principle, CancellationToken ct,
        IReadOnlyList<ChatTurn>? context = null)
    {
        var critiqueResponse = await client.GetResponseAsync(CritiquePrompts.BuildCritique(prompt, response, principle, context), cancellationToken: ct)
            .ConfigureAwait(false);
        var critique = critiqueResponse.Text.Trim();
        // An empty assistant turn would make the revision request meaningless, so fail here with the real cause.
        if (critique.Length == 0)
        {
            throw new InvalidOperationException("The model returned an empty critique; cannot ask for a revision without one.");
        }

        var revisionResponse = await client.GetResponseAsync(CritiquePrompts.BuildRevision(prompt, response, critique, principle, context), cancellationToken: ct)
            .ConfigureAwait(false);
        var revised = RevisionLabel().Replace(revisionResponse.Text.Trim(), string.Empty, 1).Trim();
        // Storing an empty "revised" text would create a pair whose winner is blank.
        if (revised.Length == 0)
        {
            throw new InvalidOperationException("The model returned an empty revision; no revision pair can be made from it.");
        }

        return (critique, revised);
    }

    // Models often echo a label before the rewrite ("Revision:", "**Revised response:**").
    [GeneratedRegex(
        @"^(?:[#>\s]*)[*_]*\s*(?:revision|revised\s+response|revised|rewritten\s+response)\s*[*_]*\s*:\s*[*_]*",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RevisionLabel();
}
