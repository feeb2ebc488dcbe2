using System.Text.RegularExpressions;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Reviews;

/// <summary>
/// The reviewers' side of a run: the blind items, labels and closing the phase, behind the run's review token. Labels go
/// to storage, where the phase is decided; the orchestration hears only that the phase ended (<see cref="ReviewsComplete"/>,
/// <see cref="ReviewClosed"/>).
/// </summary>
public sealed partial class ReviewService(StorageClients storage, PairStore pairs, IReviewRuns runs, ILogger<ReviewService> logger)
{
    /// <summary>Names are shown in reports and key label rows; letters (any script), digits, spaces and . _ ' @ + -,
    /// starting with a letter or digit.</summary>
    public const int MaxReviewerChars = 64;

    /// <summary>Item ids are Table row keys ("item-…"), so anything else is refused before it reaches a query.</summary>
    public const int MaxItemIdChars = 200;

    readonly PhaseRows phases = new(storage, new ItemRows(storage), new RoundRows(storage));
    readonly ItemRows items = new(storage);
    readonly LabelRows labels = new(storage);

    /// <summary>The sampled items, round by round (each round's in id order, so a later round's items come after
    /// those a reviewer has seen), and their version: a tag of the item ids, which changes only when a round adds
    /// items. With <paramref name="ifNoneMatch"/> equal to it the items are not read again (Value is then null), so a
    /// page that polls for new rounds costs one query per poll.</summary>
    public async Task<Outcome<ReviewItemsPage>> GetItemsAsync(string runId, string? token, string? ifNoneMatch, CancellationToken ct)
    {
        var check = await AuthorizeAsync(runId, token, ct);
        if (check is not null) return check.As<ReviewItemsPage>();

        var sampled = InShownOrder(await items.ListAsync(runId, ct));
        var etag = "\"" + StorageKeys.Hash(string.Join(",", sampled.Select(i => i.ItemId)), 16) + "\"";
        if (ifNoneMatch == etag) return Outcome<ReviewItemsPage>.Ok(new ReviewItemsPage(etag, null));

        var showReference = await runs.ShowsReferenceAsync(runId, ct);
        var views = new ReviewItemView?[sampled.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, sampled.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (i, token) =>
            {
                var item = sampled[i];
                var pair = await pairs.GetAsync(runId, item.PairId, token);
                if (pair is null) return;
                var (first, second) = item.Flipped ? (pair.ResponseB, pair.ResponseA) : (pair.ResponseA, pair.ResponseB);
                var view = new ReviewItemView(item.ItemId, pair.Prompt, pair.Category, first, second,
                    ReviewMarkdown.ToHtml(first), ReviewMarkdown.ToHtml(second));
                if (pair.Conversation is { } conversation)
                {
                    // The dialogues follow their answers into the blind order, so nothing tells which side is A.
                    var (firstContext, secondContext) = item.Flipped
                        ? (conversation.ContextB, conversation.ContextA)
                        : (conversation.ContextA, conversation.ContextB);
                    view = conversation.IsShared
                        ? view with { Dialogue = ReviewTurn.Of(conversation.ContextA) }
                        : view with { FirstDialogue = ReviewTurn.Of(firstContext), SecondDialogue = ReviewTurn.Of(secondContext) };
                }
                if (showReference && pair.Reference is { } reference)
                    view = view with { Reference = reference, ReferenceHtml = ReviewMarkdown.ToHtml(reference) };
                views[i] = view;
            });
        return Outcome<ReviewItemsPage>.Ok(new ReviewItemsPage(etag, views.OfType<ReviewItemView>().ToList()));
    }

    /// <summary>The key to the blind review, for the run's manager: each item's pair, input, source and round.</summary>
    public async Task<Outcome<ReviewSampleView>> GetSampleAsync(string runId, CancellationToken ct)
    {
        if (await runs.ReviewTokenHashAsync(runId, ct) is null) return Outcome<ReviewSampleView>.NotFound($"Run '{runId}' does not exist.");
        var phase = await phases.GetAsync(runId, ct);
        var sampled = InShownOrder(await items.ListAsync(runId, ct));
        var wanted = sampled.Select(i => i.PairId).ToHashSet(StringComparer.Ordinal);
        var byId = new Dictionary<string, PreferencePair>(StringComparer.Ordinal);
        await foreach (var pair in pairs.ReadAllAsync(runId, ct))
            if (wanted.Contains(pair.PairId)) byId[pair.PairId] = pair;
        var view = sampled.Where(i => byId.ContainsKey(i.PairId)).Select(i =>
        {
            var pair = byId[i.PairId];
            return new ReviewSampleItem(i.ItemId, i.PairId, pair.InputId, pair.Source == PairSource.Judge ? "judge" : "revision",
                pair.Category, i.Round, i.Flipped, i.Reviewers, i.Closed, pair.TrustPoints);
        }).ToList();
        return Outcome<ReviewSampleView>.Ok(new ReviewSampleView(runId, phase?.Status.ToString(), phase?.Round,
            phase?.MinReviewsPerItem ?? 0, view, phase?.EscalationRound));
    }

    public async Task<Outcome<bool>> SubmitAsync(DurableTaskClient client, string runId, string? token,
        string? itemId, string? reviewer, string? preference, CancellationToken ct)
    {
        var check = await AuthorizeAsync(runId, token, ct);
        if (check is not null) return check;

        var errors = new List<FieldError>();
        // The item id is a row key of the reviews table, so it is checked before any storage call.
        if (string.IsNullOrWhiteSpace(itemId)) errors.Add(new("itemId", "required."));
        else if (StorageKeys.Problem(itemId, MaxItemIdChars) is { } badItem)
            errors.Add(new("itemId", $"'{StorageKeys.Printable(itemId)}' is not an item id: it {badItem}"));
        if (string.IsNullOrWhiteSpace(reviewer)) errors.Add(new("reviewer", "required."));
        else if (reviewer.Trim().Length > MaxReviewerChars) errors.Add(new("reviewer", $"at most {MaxReviewerChars} characters."));
        else if (!ReviewerName().IsMatch(reviewer.Trim()))
            errors.Add(new("reviewer", "may hold letters, digits, spaces and . _ ' @ + - only, starting with a letter or digit."));
        ReviewLabel? label = preference?.Trim().ToLowerInvariant() switch
        {
            "first" => ReviewLabel.First,
            "second" => ReviewLabel.Second,
            "tie" => ReviewLabel.Tie,
            _ => null,
        };
        if (label is null) errors.Add(new("preference", $"'{preference}' is not one of first, second, tie."));
        if (errors.Count > 0) return Outcome<bool>.Invalid("The review is invalid.", errors);

        var phase = await phases.GetAsync(runId, ct);
        var maxReviewers = phase?.MaxReviewersPerItem ?? ReviewPhase.DefaultMaxReviewersPerItem;
        var outcome = await labels.SubmitAsync(runId,
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
            case LabelOutcome.Completed:
                await SignalIfCompleteAsync(client, runId, ct);
                break;
        }
        return Outcome<bool>.Ok(true);
    }

    /// <summary>
    /// Tells the run when every sampled item has its reviewers. The event names the latest round among the items seen,
    /// or the phase's round if that is later (read after the label committed, before the items are listed): so it is
    /// never older than what was reviewed, even when a new round's items were all labelled before the phase row moved
    /// on to that round. A phase that counts no rounds (a 1.0 run's) gets the event without one.
    /// </summary>
    async Task SignalIfCompleteAsync(DurableTaskClient client, string runId, CancellationToken ct)
    {
        var phase = await phases.GetAsync(runId, ct);
        if (phase is not { Status: ReviewPhaseStatus.Open }) return;
        // One filtered read per completed item; the whole sample is listed only once it is all reviewed.
        if (phase.SampledItems == 0 || await items.AnyBelowAsync(runId, phase, ct)) return;
        var round = phase.Round is { } current ? Math.Max(current, (await items.ListAsync(runId, ct)).Max(i => i.Round)) : (int?)null;
        await client.RaiseAsync(runId, new ReviewsComplete(round), ct);
    }

    /// <summary>Ends the review phase now in storage, so later labels are refused at once, then tells the run. Before the
    /// phase it is recorded, and the run skips review. 409 once the run is past review.</summary>
    public async Task<Outcome<bool>> CloseAsync(DurableTaskClient client, string runId, string? token, CancellationToken ct)
    {
        var check = await AuthorizeAsync(runId, token, ct);
        if (check is not null) return check;
        if (!await runs.IsBeforeReportAsync(client, runId, ct))
            return Outcome<bool>.Conflict($"Run '{runId}' is past its review phase (status {await runs.DescribeAsync(client, runId, ct)}).");

        var closing = await phases.CloseAsync(runId, ReviewEnd.Closed, ct);
        if (closing.ClosedOpenPhase)
            await client.RaiseAsync(runId, new ReviewClosed(), ct);
        // A run waiting for its batches stops waiting: they are cancelled, and the review it has not reached is skipped.
        else if (!await runs.EndBatchWaitAsync(client, runId, ct) && closing.Phase.EndedBy is not ReviewEnd.Closed && closing.Phase.SampledItems > 0)
            return Outcome<bool>.Conflict(
                $"Run '{runId}' is past its review phase, ended by {closing.Phase.EndedBy?.Spelling()} (status {await runs.DescribeAsync(client, runId, ct)}).");
        logger.LogInformation("Run {RunId}: review phase closed on request", runId);
        return Outcome<bool>.Ok(true);
    }

    /// <summary>Round by round, each round's items in id order.</summary>
    static List<ReviewItem> InShownOrder(IEnumerable<ReviewItem> sampled) =>
        sampled.OrderBy(i => i.Round).ThenBy(i => i.ItemId, StringComparer.Ordinal).ToList();

    async Task<Outcome<bool>?> AuthorizeAsync(string runId, string? token, CancellationToken ct)
    {
        var hash = await runs.ReviewTokenHashAsync(runId, ct);
        if (hash is null) return Outcome<bool>.NotFound($"Run '{runId}' does not exist.");
        return ReviewTokens.Matches(token, hash) ? null : Outcome<bool>.Unauthorized();
    }

    [GeneratedRegex(@"^[\p{L}\p{N}][\p{L}\p{M}\p{N} ._'@+-]*$")]
    private static partial Regex ReviewerName();
}
