using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Sampling;
using SynthPref.Orchestration.Statistics;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Reviews;

/// <summary>
/// The blind review sample: which pairs, under which opaque ids, and per item which text is shown first. All of it
/// depends only on the run's seed and the stored pairs, so a retry draws the same rows.
/// </summary>
static class ReviewSample
{
    /// <summary>The candidates of a stream of pairs, kept small: a run's every candidate is held while its sample is drawn
    /// (the seeded shuffle is over a category's whole list), so each holds its id and shares its category and stratum
    /// strings with the others.</summary>
    public sealed class CandidateList
    {
        readonly List<SampleCandidate> candidates = [];
        readonly Dictionary<string, string> names = new(StringComparer.Ordinal);

        public IReadOnlyList<SampleCandidate> Candidates => candidates;

        public void Add(string pairId, string category, PairSource source, Confidence? confidence, Preference verdict)
        {
            if (!IsCandidate(verdict)) return;
            candidates.Add(new SampleCandidate(pairId, Shared(category), Shared(StratumOf(source, confidence))));
        }

        string Shared(string name)
        {
            if (names.TryGetValue(name, out var shared)) return shared;
            names[name] = name;
            return name;
        }

        /// <summary>The category of each of <paramref name="pairIds"/> that is a candidate.</summary>
        public Dictionary<string, string> CategoriesOf(IEnumerable<string> pairIds)
        {
            var wanted = pairIds.ToHashSet(StringComparer.Ordinal);
            return candidates.Where(c => wanted.Contains(c.PairId)).ToDictionary(c => c.PairId, c => c.Category, StringComparer.Ordinal);
        }
    }

    /// <summary>The first round: <paramref name="size"/> items stratified by category, source and confidence.</summary>
    public static IReadOnlyList<ReviewItem> Draw(string runId, IReadOnlyList<SampleCandidate> candidates, int size, int seed) =>
        Items(runId, StratifiedSampler.Sample(candidates, size, seed), seed, round: 1);

    /// <summary>A later round: <paramref name="quotas"/> more items per category from the candidates not sampled yet.</summary>
    public static IReadOnlyList<ReviewItem> DrawMore(string runId, IReadOnlyList<SampleCandidate> candidates, IReadOnlySet<string> sampledPairIds,
        IReadOnlyDictionary<string, int> quotas, int seed, int round) =>
        Items(runId, StratifiedSampler.SampleMore(candidates.Where(c => !sampledPairIds.Contains(c.PairId)).ToList(), quotas, seed, round),
            seed, round);

    /// <summary>Pairs a human can be asked about: unparseable pairs have no verdict to agree or disagree with.</summary>
    public static bool IsCandidate(Preference verdict) => verdict != Preference.Unparseable;

    /// <summary>The stratum inside a category: the pair's source and the judge's confidence ("none" when the judge gave
    /// none, as recorded verdicts and revision pairs do).</summary>
    public static string StratumOf(PairSource source, Confidence? confidence) =>
        (source == PairSource.Judge ? "judge" : "revision") + "/" +
        (confidence?.ToString().ToLowerInvariant() ?? "none");

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
