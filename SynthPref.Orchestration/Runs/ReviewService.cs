using System.Text.RegularExpressions;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Orchestration.Runs;

/// <summary>
/// The reviewers' side of a run: the blind items, labels and closing the phase. Labels go to storage
/// (<see cref="ReviewStore"/>), where the phase is decided; the orchestration hears only that the phase ended.
/// </summary>
public sealed partial class ReviewService(RunCatalog catalog, ReviewStore reviews, PairStore pairs, RunQueries runs, ILogger<ReviewService> logger)
{
    /// <summary>Names are shown in reports and key label rows; letters (any script), digits, spaces and . _ ' @ + -,
    /// starting with a letter or digit.</summary>
    public const int MaxReviewerChars = 64;

    public async Task<Outcome<IReadOnlyList<ReviewItemView>>> GetItemsAsync(string runId, string? token, CancellationToken ct)
    {
        var check = await AuthorizeAsync(runId, token, ct);
        if (check is not null) return check.As<IReadOnlyList<ReviewItemView>>();

        var views = new List<ReviewItemView>();
        foreach (var item in (await reviews.ListItemsAsync(runId, ct)).OrderBy(i => i.ItemId, StringComparer.Ordinal))
        {
            var pair = await pairs.GetAsync(runId, item.PairId, ct);
            if (pair is null) continue;
            var (first, second) = item.Flipped ? (pair.ResponseB, pair.ResponseA) : (pair.ResponseA, pair.ResponseB);
            views.Add(new ReviewItemView(item.ItemId, pair.InputId, pair.Prompt, pair.Category, first, second));
        }
        return Outcome<IReadOnlyList<ReviewItemView>>.Ok(views);
    }

    public async Task<Outcome<bool>> SubmitAsync(DurableTaskClient client, string runId, string? token,
        string? itemId, string? reviewer, string? preference, CancellationToken ct)
    {
        var check = await AuthorizeAsync(runId, token, ct);
        if (check is not null) return check;

        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(itemId)) errors.Add(new("itemId", "required."));
        if (string.IsNullOrWhiteSpace(reviewer)) errors.Add(new("reviewer", "required."));
        else if (reviewer.Trim().Length > MaxReviewerChars) errors.Add(new("reviewer", $"at most {MaxReviewerChars} characters."));
        else if (!ReviewerName().IsMatch(reviewer.Trim()))
            errors.Add(new("reviewer", "may hold letters, digits, spaces and . _ ' @ + - only, starting with a letter or digit."));
        if (itemId is { Length: > 200 }) errors.Add(new("itemId", "is not an item id."));
        ReviewLabel? label = preference?.Trim().ToLowerInvariant() switch
        {
            "first" => ReviewLabel.First,
            "second" => ReviewLabel.Second,
            "tie" => ReviewLabel.Tie,
            _ => null,
        };
        if (label is null) errors.Add(new("preference", $"'{preference}' is not one of first, second, tie."));
        if (errors.Count > 0) return Outcome<bool>.Invalid("The review is invalid.", errors);

        var phase = await reviews.GetPhaseAsync(runId, ct);
        var maxReviewers = phase?.MaxReviewersPerItem ?? ReviewPhase.DefaultMaxReviewersPerItem;
        var outcome = await reviews.SubmitLabelAsync(runId,
            new ReviewLabelRecord(itemId!, reviewer!.Trim(), label!.Value, DateTimeOffset.UtcNow),
            phase?.MinReviewsPerItem ?? 1, maxReviewers, ct);
        switch (outcome)
        {
            case LabelOutcome.NoSuchItem:
                return Outcome<bool>.NotFound($"Run '{runId}' has no review item '{itemId}'.");
            case LabelOutcome.PhaseClosed:
                // Refused, so never counted: the phase ended before this label could commit.
                return Outcome<bool>.Conflict($"Run '{runId}' is not awaiting review: its review phase has ended (status {await runs.DescribeAsync(client, runId, ct)}).");
            case LabelOutcome.TooManyReviewers:
                return Outcome<bool>.Conflict($"Item '{itemId}' already has {maxReviewers} reviewers, the most this run takes per item (maxReviewersPerItem).");
            case LabelOutcome.Contended:
                return Outcome<bool>.Unavailable("Too many labels for this item at once; send it again.");
            case LabelOutcome.Completed when await AllItemsReviewedAsync(runId, phase, ct):
                await client.RaiseEventAsync(runId, RunEvents.ReviewsComplete, true, ct);
                break;
        }
        return Outcome<bool>.Ok(true);
    }

    /// <summary>Ends the review phase now in storage, so later labels are refused at once, then tells the run. Before the
    /// phase it is recorded, and the run skips review. 409 once the run is past review.</summary>
    public async Task<Outcome<bool>> CloseAsync(DurableTaskClient client, string runId, string? token, CancellationToken ct)
    {
        var check = await AuthorizeAsync(runId, token, ct);
        if (check is not null) return check;
        var instance = await client.GetInstanceAsync(runId, getInputsAndOutputs: true, ct);
        var phase = instance?.ReadCustomStatusAs<RunProgress>()?.Phase;
        if (instance?.RuntimeStatus is not (OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending) || phase == RunStatus.Reporting)
            return Outcome<bool>.Conflict($"Run '{runId}' is past its review phase (status {await runs.DescribeAsync(client, runId, ct)}).");

        var closing = await reviews.CloseAsync(runId, "closed", ct);
        if (closing.ClosedOpenPhase)
            await client.RaiseEventAsync(runId, RunEvents.ReviewClosed, true, ct);
        else if (closing.Phase.EndedBy is not "closed" && closing.Phase.SampledItems > 0)
            return Outcome<bool>.Conflict(
                $"Run '{runId}' is past its review phase, ended by {closing.Phase.EndedBy} (status {await runs.DescribeAsync(client, runId, ct)}).");
        logger.LogInformation("Run {RunId}: review phase closed on request", runId);
        return Outcome<bool>.Ok(true);
    }

    async Task<bool> AllItemsReviewedAsync(string runId, ReviewPhase? phase, CancellationToken ct) =>
        phase is { SampledItems: > 0 } && !await reviews.AnyItemBelowAsync(runId, Math.Max(1, phase.MinReviewsPerItem), ct);

    async Task<Outcome<bool>?> AuthorizeAsync(string runId, string? token, CancellationToken ct)
    {
        var record = await catalog.GetAsync(runId, ct);
        if (record is null) return Outcome<bool>.NotFound($"Run '{runId}' does not exist.");
        return ReviewTokens.Matches(token, record.ReviewTokenHash) ? null : Outcome<bool>.Unauthorized();
    }

    [GeneratedRegex(@"^[\p{L}\p{N}][\p{L}\p{M}\p{N} ._'@+-]*$")]
    private static partial Regex ReviewerName();
}
