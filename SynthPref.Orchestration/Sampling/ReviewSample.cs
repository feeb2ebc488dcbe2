using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Sampling;

/// <summary>
/// The blind review sample: which pairs, under which opaque ids, and per item which text is shown first. All of it
/// depends only on the run's seed and the stored pairs, so a retry draws the same rows.
/// </summary>
public static class ReviewSample
{
    public static IReadOnlyList<ReviewItem> Draw(string runId, IEnumerable<PreferencePair> pairs, int size, int seed)
    {
        // Unparseable pairs have no verdict for a human to agree or disagree with.
        var candidates = pairs.Where(p => p.Verdict != Preference.Unparseable)
            .Select(p => new SampleCandidate(p.PairId, p.Category)).ToList();
        return StratifiedSampler.Sample(candidates, size, seed).Select(pairId =>
        {
            var itemId = ItemIdFor(runId, pairId);
            var flipped = new Random(StableHash.Seed(seed, itemId)).Next(2) == 1;
            return new ReviewItem(runId, itemId, pairId, flipped);
        }).ToList();
    }

    // An opaque id, so neither the pair's source nor its position in the input leaks to reviewers.
    static string ItemIdFor(string runId, string pairId) => "item-" + StorageKeys.Hash($"{runId}/{pairId}", 12);
}
