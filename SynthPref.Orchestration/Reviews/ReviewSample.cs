using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Sampling;
using SynthPref.Orchestration.Storage;
using SynthPref.Orchestration.Statistics;
using SynthPref.Orchestration.Judging;

namespace SynthPref.Orchestration.Reviews;

/// <summary>
/// The blind review sample: which pairs, under which opaque ids, and per item which text is shown first. All of it
/// depends only on the run's seed and the stored pairs, so a retry draws the same rows.
/// </summary>
static class ReviewSample
{
    /// <summary>The first round: <paramref name="size"/> items stratified by category, source and confidence.</summary>
    public static IReadOnlyList<ReviewItem> Draw(string runId, IEnumerable<PreferencePair> pairs, int size, int seed) =>
        Items(runId, StratifiedSampler.Sample(Candidates(pairs), size, seed), seed, round: 1);

    /// <summary>A later round: <paramref name="quotas"/> more items per category from the pairs not sampled yet.</summary>
    public static IReadOnlyList<ReviewItem> DrawMore(string runId, IEnumerable<PreferencePair> pairs, IReadOnlySet<string> sampledPairIds,
        IReadOnlyDictionary<string, int> quotas, int seed, int round) =>
        Items(runId, StratifiedSampler.SampleMore(Candidates(pairs).Where(c => !sampledPairIds.Contains(c.PairId)).ToList(), quotas, seed, round),
            seed, round);

    /// <summary>Pairs a human can be asked about: unparseable pairs have no verdict to agree or disagree with.</summary>
    public static List<SampleCandidate> Candidates(IEnumerable<PreferencePair> pairs) =>
        pairs.Where(p => p.Verdict != Preference.Unparseable)
            .Select(p => new SampleCandidate(p.PairId, p.Category, StratumOf(p))).ToList();

    /// <summary>The stratum inside a category: the pair's source and the judge's confidence ("none" when the judge gave
    /// none, as recorded verdicts and revision pairs do).</summary>
    static string StratumOf(PreferencePair pair) =>
        (pair.Source == PairSource.Judge ? "judge" : "revision") + "/" +
        (pair.Confidence?.ToString().ToLowerInvariant() ?? "none");

    /// <summary>Review items for the given pairs, in their order, drawn in round <paramref name="round"/>: each with its
    /// opaque id and seeded display order (the escalation round's, in the order it takes the pairs).</summary>
    public static List<ReviewItem> Items(string runId, IReadOnlyList<string> pairIds, int seed, int round) =>
        pairIds.Select(pairId =>
        {
            var itemId = ItemIdFor(runId, pairId);
            var flipped = new Random(StableHash.Seed(seed, itemId)).Next(2) == 1;
            return new ReviewItem(runId, itemId, pairId, flipped, Round: round);
        }).ToList();

    // An opaque id, so neither the pair's source nor its position in the input leaks to reviewers.
    static string ItemIdFor(string runId, string pairId) => ReviewPartition.ItemPrefix + StorageKeys.Hash($"{runId}/{pairId}", 12);
}
