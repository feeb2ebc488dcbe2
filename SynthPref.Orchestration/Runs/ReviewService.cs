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
public sealed class ReviewService(RunCatalog catalog, ReviewStore reviews, PairStore pairs, ILogger<ReviewService> logger)
{
    public const int DefaultMaxReviewersPerItem = 50;
    public const int MaxReviewerChars = 200;

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
        else if (reviewer.Length > MaxReviewerChars) errors.Add(new("reviewer", $"at most {MaxReviewerChars} characters."));
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
        var outcome = await reviews.SubmitLabelAsync(runId,
            new ReviewLabelRecord(itemId!, reviewer!.Trim(), label!.Value, DateTimeOffset.UtcNow),
            phase?.MinReviewsPerItem ?? 1, DefaultMaxReviewersPerItem, ct);
        switch (outcome)
        {
            case LabelOutcome.NoSuchItem:
                return Outcome<bool>.NotFound($"Run '{runId}' has no review item '{itemId}'.");
            case LabelOutcome.PhaseClosed:
                return Outcome<bool>.Conflict($"Run '{runId}' is not awaiting review (status {await StatusAsync(client, runId, ct)}).");
            case LabelOutcome.TooManyReviewers:
                return Outcome<bool>.Conflict($"Item '{itemId}' already has {DefaultMaxReviewersPerItem} reviewers, the most one item takes.");
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
            return Outcome<bool>.Conflict($"Run '{runId}' is past its review phase (status {await StatusAsync(client, runId, ct)}).");

        var closing = await reviews.CloseAsync(runId, "closed", ct);
        if (closing.ClosedOpenPhase)
            await client.RaiseEventAsync(runId, RunEvents.ReviewClosed, true, ct);
        else if (closing.Phase.EndedBy is not "closed" && closing.Phase.SampledItems > 0)
            return Outcome<bool>.Conflict($"Run '{runId}' is past its review phase (ended by {closing.Phase.EndedBy}).");
        logger.LogInformation("Run {RunId}: review phase closed on request", runId);
        return Outcome<bool>.Ok(true);
    }

    async Task<bool> AllItemsReviewedAsync(string runId, ReviewPhase? phase, CancellationToken ct)
    {
        var items = await reviews.ListItemsAsync(runId, ct);
        return items.Count > 0 && items.All(i => i.Reviewers >= (phase?.MinReviewsPerItem ?? 1));
    }

    static async Task<string> StatusAsync(DurableTaskClient client, string runId, CancellationToken ct)
    {
        var instance = await client.GetInstanceAsync(runId, getInputsAndOutputs: true, ct);
        return instance?.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Completed => nameof(RunStatus.Completed),
            OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated => nameof(RunStatus.Failed),
            null or OrchestrationRuntimeStatus.Pending => nameof(RunStatus.Pending),
            _ => (instance.ReadCustomStatusAs<RunProgress>()?.Phase ?? RunStatus.Pending).ToString(),
        };
    }

    async Task<Outcome<bool>?> AuthorizeAsync(string runId, string? token, CancellationToken ct)
    {
        var record = await catalog.GetAsync(runId, ct);
        if (record is null) return Outcome<bool>.NotFound($"Run '{runId}' does not exist.");
        return ReviewTokens.Matches(token, record.ReviewToken) ? null : Outcome<bool>.Unauthorized();
    }
}
