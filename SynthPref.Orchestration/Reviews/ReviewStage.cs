using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Sampling;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Reviews;

/// <summary>
/// The rounds so far of an open phase whose items all have their reviewers, read to plan the next round: every pair a
/// reviewer could be asked about (<see cref="Candidates"/>: ids, categories and strata only), the items of rounds up to
/// <see cref="Round"/> (items a failed attempt had begun to write for a later round are left out, so a retry plans
/// exactly the same round) and their labels joined to the pairs. When there is nothing to plan, <see cref="Answer"/> is
/// what to answer instead: the phase closed, the next round was drawn already (by an attempt whose answer was lost), or a
/// label is still missing (the signal ran ahead of storage).
/// </summary>
public sealed record RoundsSoFar(string RunId, int Round, IReadOnlyList<SampleCandidate> Candidates, IReadOnlyList<ReviewItem> Items,
    ReviewedPairs Reviewed, ReviewRoundResult? Answer)
{
    /// <summary>Every category a reviewer could be asked about (pairs with a parseable verdict), with how many of its
    /// pairs are not sampled yet, 0 included.</summary>
    public IReadOnlyDictionary<string, int> Unsampled
    {
        get
        {
            var sampled = Items.Select(i => i.PairId).ToHashSet(StringComparer.Ordinal);
            return Candidates.GroupBy(c => c.Category, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count(c => !sampled.Contains(c.PairId)), StringComparer.Ordinal);
        }
    }
}

/// <summary>A run's review as it stood when the phase ended: the phase, every sampled item, the labels joined to their
/// pairs, and the sampling rounds.</summary>
public sealed record ReviewRecord(ReviewPhase? Phase, IReadOnlyList<ReviewItem> Items, ReviewedPairs Reviewed, IReadOnlyList<ReviewRound> Rounds)
{
    /// <summary>The distinct people whose labels were accepted.</summary>
    public int Reviewers => Reviewed.Labels.Select(l => l.Reviewer).Distinct().Count();
}

/// <summary>
/// The review stage as the workflow's activities, the report and the status see it: opening the phase with its seeded
/// sample, reading the rounds so far and drawing the next (an adaptive round or the escalation round), closing it, and
/// reading it back. Labels come in through <see cref="ReviewService"/>; none of them passes through the orchestration.
/// </summary>
public sealed class ReviewStage(StorageClients storage, PairStore pairs)
{
    readonly PhaseRows phases = new(storage, new ItemRows(storage), new RoundRows(storage));
    readonly ItemRows items = new(storage);
    readonly LabelRows labels = new(storage);
    readonly RoundRows rounds = new(storage);

    /// <summary>Draws the first sample (<paramref name="sampleSize"/> items, stratified and seeded) and opens the phase;
    /// with nothing to sample, ends it as <see cref="ReviewEnd.NothingToReview"/>. Safe to repeat: the same seed draws the
    /// same items. Reads the pairs' sampling columns only, in one streaming query.</summary>
    public async Task<ReviewOpened> OpenAsync(string runId, int sampleSize, int seed, ReviewOpening opening, CancellationToken ct)
    {
        var candidates = new ReviewSample.CandidateList();
        await foreach (var pair in pairs.ReadSummariesAsync(runId, ct))
            candidates.Add(pair.PairId, pair.Category, pair.Source, pair.Confidence, pair.Verdict);
        var sample = ReviewSample.Draw(runId, candidates.Candidates, sampleSize, seed);
        if (sample.Count == 0)
        {
            await phases.CloseAsync(runId, ReviewEnd.NothingToReview, ct);
            return new ReviewOpened(0, ClosedEarly: false);
        }
        var categoryOf = candidates.CategoriesOf(sample.Select(i => i.PairId));
        var opened = await phases.OpenAsync(runId, sample, ReviewRound.Of(1, sample, item => categoryOf[item.PairId]), opening, ct);
        return new ReviewOpened(sample.Count, ClosedEarly: !opened);
    }

    /// <summary>Round <paramref name="round"/> and those before it, once storage agrees their items all have
    /// <paramref name="minReviewsPerItem"/> reviewers; otherwise the answer to give (see <see cref="RoundsSoFar"/>). The
    /// pairs are read in one streaming pass that keeps the candidates and the sampled pairs only; each pair is also
    /// shown to <paramref name="observe"/>, with whether an item of these rounds holds it, for a caller that needs more of
    /// every pair (the escalation round's trust points).</summary>
    public async Task<RoundsSoFar> ReadRoundsAsync(string runId, int round, int minReviewsPerItem, CancellationToken ct,
        Action<PreferencePair, bool>? observe = null)
    {
        var next = round + 1;
        var phase = await phases.GetAsync(runId, ct);
        var all = await items.ListAsync(runId, ct);
        RoundsSoFar Answer(ReviewRoundResult answer) => new(runId, round, [], [], ReviewedPairs.Join([], [], []), answer);
        if (phase is null || phase.Status == ReviewPhaseStatus.Closed)
            return Answer(new ReviewRoundResult(true, round, 0, all.Count, null));
        if (phase.Round >= next)
            return Answer(new ReviewRoundResult(true, next, all.Count(i => i.Round == next), all.Count(i => i.Round <= next), null));

        var sofar = all.Where(i => i.Round <= round).ToList();
        var min = Math.Max(1, minReviewsPerItem);
        if (sofar.Any(i => i.Reviewers < min))
            return Answer(new ReviewRoundResult(false, round, 0, sofar.Count, null));

        var sampledIds = sofar.Select(i => i.PairId).ToHashSet(StringComparer.Ordinal);
        var candidates = new ReviewSample.CandidateList();
        var sampled = new List<PreferencePair>();
        await foreach (var pair in pairs.ReadAllAsync(runId, ct))
        {
            candidates.Add(pair.PairId, pair.Category, pair.Source, pair.Confidence, pair.Verdict);
            var isSampled = sampledIds.Contains(pair.PairId);
            if (isSampled) sampled.Add(pair);
            observe?.Invoke(pair, isSampled);
        }
        return new RoundsSoFar(runId, round, candidates.Candidates, sofar, ReviewedPairs.Join(sampled, sofar, await labels.ListAsync(runId, ct)), null);
    }

    /// <summary>The next adaptive round as <paramref name="plan"/> has it: its quotas drawn from the pairs not sampled yet
    /// (stratified and seeded by the run's seed and the round), or, when the plan stops the rounds, why, recorded with
    /// the phase.</summary>
    public async Task<ReviewRoundResult> DrawRoundAsync(RoundsSoFar sofar, RoundPlan plan, int seed, CancellationToken ct)
    {
        if (plan.StoppedBy is { } stop)
        {
            await phases.SetRoundsStoppedAsync(sofar.RunId, stop, ct);
            return new ReviewRoundResult(true, sofar.Round, 0, sofar.Items.Count, stop);
        }
        var next = sofar.Round + 1;
        var sampled = sofar.Items.Select(i => i.PairId).ToHashSet(StringComparer.Ordinal);
        var drawn = ReviewSample.DrawMore(sofar.RunId, sofar.Candidates, sampled, plan.Quotas, seed, next);
        return await AddAsync(sofar, drawn, wide: plan.WiderThanTarget, escalation: null, ct);
    }

    /// <summary>
    /// The escalation round: the first <paramref name="maxEscalatedReviews"/> of <paramref name="firstCandidates"/> (the
    /// first of the <paramref name="candidates"/> escalated pairs no reviewer labelled, in the order they are to be taken),
    /// marked in storage as the escalation round so its items are never taken for calibration items. Nothing to escalate
    /// is answered as <see cref="RoundsStop.NothingToEscalate"/>.
    /// </summary>
    public async Task<ReviewRoundResult> DrawEscalationRoundAsync(RoundsSoFar sofar, IReadOnlyList<string> firstCandidates, int candidates,
        int? threshold, int maxEscalatedReviews, int seed, CancellationToken ct)
    {
        if (candidates == 0)
            return new ReviewRoundResult(true, sofar.Round, 0, sofar.Items.Count, RoundsStop.NothingToEscalate);
        var chosen = firstCandidates.Take(Math.Max(1, maxEscalatedReviews)).ToList();
        var drawn = ReviewSample.Items(sofar.RunId, chosen, seed, sofar.Round + 1);
        return await AddAsync(sofar, drawn, wide: null, new EscalationDraw(threshold, candidates, drawn.Count), ct);
    }

    async Task<ReviewRoundResult> AddAsync(RoundsSoFar sofar, IReadOnlyList<ReviewItem> drawn, IReadOnlyList<CategoryInterval>? wide,
        EscalationDraw? escalation, CancellationToken ct)
    {
        var next = sofar.Round + 1;
        var wanted = drawn.Select(i => i.PairId).ToHashSet(StringComparer.Ordinal);
        var categoryOf = sofar.Candidates.Where(c => wanted.Contains(c.PairId)).ToDictionary(c => c.PairId, c => c.Category, StringComparer.Ordinal);
        var round = ReviewRound.Of(next, drawn, item => categoryOf[item.PairId], wide, escalation);
        return await phases.AddRoundAsync(sofar.RunId, round, drawn, ct) == RoundOutcome.Added
            ? new ReviewRoundResult(true, next, drawn.Count, sofar.Items.Count + drawn.Count, null)
            : new ReviewRoundResult(true, sofar.Round, 0, sofar.Items.Count, null);
    }

    /// <summary>Ends the phase in storage and returns why it ended: the first reason given wins, so a close that raced the
    /// deadline is reported as what it was.</summary>
    public async Task<ReviewEnd> CloseAsync(string runId, ReviewEnd end, CancellationToken ct) =>
        (await phases.CloseAsync(runId, end, ct)).Phase.EndedBy ?? end;

    /// <summary>The pair ids of every sampled item: the pairs <see cref="ReadAsync"/> needs.</summary>
    public async Task<IReadOnlySet<string>> SampledPairIdsAsync(string runId, CancellationToken ct) =>
        (await items.ListAsync(runId, ct)).Select(i => i.PairId).ToHashSet(StringComparer.Ordinal);

    /// <summary>The review as storage holds it, its labels joined to <paramref name="sampledPairs"/> (at least the pairs of
    /// <see cref="SampledPairIdsAsync"/>). A phase opened before rounds were recorded had one round, its items.</summary>
    public async Task<ReviewRecord> ReadAsync(string runId, IReadOnlyList<PreferencePair> sampledPairs, CancellationToken ct)
    {
        var phase = await phases.GetAsync(runId, ct);
        var sampled = await items.ListAsync(runId, ct);
        var reviewed = ReviewedPairs.Join(sampledPairs, sampled, await labels.ListAsync(runId, ct));
        var recorded = await rounds.ListAsync(runId, ct);
        if (recorded.Count == 0 && sampled.Count > 0)
        {
            var categoryOf = sampledPairs.ToDictionary(p => p.PairId, p => p.Category, StringComparer.Ordinal);
            recorded = [ReviewRound.Of(1, sampled, i => categoryOf.TryGetValue(i.PairId, out var category) ? category : "uncategorized")];
        }
        return new ReviewRecord(phase, sampled, reviewed, recorded);
    }

    /// <summary>Review progress for the run's status, counted from the item rows; null before the phase exists.</summary>
    public async Task<ReviewProgress?> ProgressAsync(string runId, CancellationToken ct)
    {
        var phase = await phases.GetAsync(runId, ct);
        if (phase is null) return null;
        var sampled = await items.ListAsync(runId, ct);
        return new ReviewProgress(phase.Status.ToString(), sampled.Count, sampled.Sum(i => i.Reviewers),
            sampled.Count(i => i.Reviewers >= phase.MinReviewsPerItem), phase.EndedBy, phase.Round, phase.Adaptive, phase.EscalationRound);
    }
}
