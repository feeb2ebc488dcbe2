using SynthPref.Orchestration.Statistics;

namespace SynthPref.Orchestration.Sampling;

/// <summary>A pair that may be sampled. Stratum is what it is stratified by inside its category (for the review sample,
/// the pair's source and the judge's confidence); empty when nothing but the category matters.</summary>
public sealed record SampleCandidate(string PairId, string Category, string Stratum = "");

/// <summary>
/// Picks the items humans will review. Stratifying by category keeps small categories visible in the
/// per-category agreement table; inside a category, stratifying by pair source and judge confidence keeps the
/// sample's mix of revision pairs and of confident and unsure verdicts that of the category. Determinism lets a
/// replayed or resumed run choose the same items.
/// </summary>
public static class StratifiedSampler
{
    /// <summary>The first sample: <paramref name="size"/> items allocated to categories in proportion to their size
    /// (largest remainder, at least one each when size allows), then inside each category to its strata the same way.</summary>
    public static IReadOnlyList<string> Sample(IReadOnlyList<SampleCandidate> candidates, int size, int seed)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentOutOfRangeException.ThrowIfNegative(size);

        // Sorting first makes the result independent of the order storage happened to return rows in.
        var sorted = candidates
            .OrderBy(c => c.PairId, StringComparer.Ordinal)
            .ToList();

        if (size >= sorted.Count)
            return sorted.Select(c => c.PairId).ToList();
        if (size == 0)
            return [];

        var categories = ByCategory(sorted);
        var quotas = Allocate(categories.Select(s => s.Members.Count).ToList(), size);

        var picked = new List<string>(size);
        for (int i = 0; i < categories.Count; i++)
            picked.AddRange(PickWithin(categories[i].Members, quotas[i], StableHash.Seed(seed, categories[i].Category)));

        picked.Sort(StringComparer.Ordinal);
        return picked;
    }

    /// <summary>
    /// A later round: <paramref name="quotas"/> more items per category, drawn from <paramref name="remaining"/> (the
    /// candidates not sampled yet), stratified inside each category as the first sample is, and seeded from the run's
    /// seed and the round so each round draws afresh. A quota larger than what a category has left takes all of it.
    /// </summary>
    public static IReadOnlyList<string> SampleMore(IReadOnlyList<SampleCandidate> remaining, IReadOnlyDictionary<string, int> quotas,
        int seed, int round)
    {
        ArgumentNullException.ThrowIfNull(remaining);
        ArgumentNullException.ThrowIfNull(quotas);
        var roundSeed = RoundSeed(seed, round);
        var picked = new List<string>();
        foreach (var (category, members) in ByCategory(remaining.OrderBy(c => c.PairId, StringComparer.Ordinal).ToList()))
        {
            if (!quotas.TryGetValue(category, out var quota) || quota <= 0) continue;
            picked.AddRange(PickWithin(members, Math.Min(quota, members.Count), StableHash.Seed(roundSeed, category)));
        }
        picked.Sort(StringComparer.Ordinal);
        return picked;
    }

    /// <summary>The seed of round <paramref name="round"/>'s draws: a function of the run's seed and the round only.</summary>
    public static int RoundSeed(int seed, int round) =>
        StableHash.Seed(seed, "round-" + round.ToString(System.Globalization.CultureInfo.InvariantCulture));

    static List<(string Category, List<SampleCandidate> Members)> ByCategory(List<SampleCandidate> sorted) =>
        sorted
            .GroupBy(c => c.Category, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, g.ToList()))
            .ToList();

    /// <summary>
    /// <paramref name="quota"/> of one category's members (sorted by pair id), spread over its strata by
    /// <see cref="Proportional"/>. The members are put in one seeded random order and each stratum takes its first
    /// members in that order, which is a uniform draw inside each stratum. With a single stratum this is the first
    /// <paramref name="quota"/> of the shuffle, exactly what sampling by category alone drew, so runs without sources
    /// or confidences to tell apart keep their samples.
    /// </summary>
    static IEnumerable<string> PickWithin(List<SampleCandidate> members, int quota, int seed)
    {
        if (quota <= 0) return [];
        var order = members.ToList();
        var random = new Random(seed);
        // Fisher–Yates; its first steps are the partial shuffle the category-only sampler made, draw for draw.
        for (int j = 0; j < order.Count; j++)
        {
            int k = random.Next(j, order.Count);
            (order[j], order[k]) = (order[k], order[j]);
        }

        var strata = members.Select(m => m.Stratum).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (strata.Count == 1) return order.Take(quota).Select(m => m.PairId);

        var sizes = strata.Select(s => members.Count(m => m.Stratum == s)).ToList();
        var shares = Proportional(sizes, quota);
        var wanted = strata.Select((s, i) => (s, shares[i])).ToDictionary(x => x.s, x => x.Item2, StringComparer.Ordinal);
        var taken = new List<string>(quota);
        foreach (var member in order)
        {
            if (wanted[member.Stratum] == 0) continue;
            wanted[member.Stratum]--;
            taken.Add(member.PairId);
        }
        return taken;
    }

    /// <summary>
    /// The category allocation: <see cref="Proportional"/>, and then every category gets at least one item when
    /// <paramref name="size"/> is at least the number of categories. Requires 0 &lt; size &lt; the sum of the counts.
    /// </summary>
    public static int[] Allocate(IReadOnlyList<int> counts, int size)
    {
        var quotas = Proportional(counts, size);

        // A category with no reviewed items would show as "no data" in the agreement table, which reads worse
        // than a slightly less proportional sample. Only possible to honour when there are enough slots.
        if (size >= counts.Count)
        {
            for (int i = 0; i < counts.Count; i++)
            {
                if (quotas[i] > 0)
                    continue;
                // Pigeonhole guarantees a donor with at least two; the first largest in order gives one up.
                int donor = 0;
                for (int j = 1; j < counts.Count; j++)
                    if (quotas[j] > quotas[donor])
                        donor = j;
                quotas[donor]--;
                quotas[i]++;
            }
        }

        return quotas;
    }

    /// <summary>
    /// Largest-remainder (Hamilton) allocation of <paramref name="size"/> slots in proportion to
    /// <paramref name="counts"/>, computed in integers so ties are exact and platform-independent; equal remainders go
    /// to the earlier entry (callers pass strata in ordinal order). With 0 &lt; size &lt; the sum, no quota exceeds its
    /// count; with size at or above the sum, every quota is its count.
    /// </summary>
    public static int[] Proportional(IReadOnlyList<int> counts, int size)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        long total = 0;
        foreach (var count in counts) total += count;
        if (size >= total) return counts.ToArray();

        var quotas = new int[counts.Count];
        var remainders = new long[counts.Count];
        int assigned = 0;
        for (int i = 0; i < counts.Count; i++)
        {
            long scaled = (long)size * counts[i];
            quotas[i] = (int)(scaled / total);
            remainders[i] = scaled % total;
            assigned += quotas[i];
        }

        // A stable sort keeps the given order among equal remainders.
        var byRemainder = Enumerable.Range(0, counts.Count).OrderByDescending(i => remainders[i]).ToList();
        for (int r = 0; r < size - assigned; r++)
            quotas[byRemainder[r]]++;
        return quotas;
    }
}
