namespace SynthPref.Orchestration.Sampling;

public sealed record SampleCandidate(string PairId, string Category);

/// <summary>
/// Picks the items humans will review. Stratifying by category keeps small categories visible in the
/// per-category agreement table; determinism lets a replayed or resumed run choose the same items.
/// </summary>
public static class StratifiedSampler
{
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

        var strata = sorted
            .GroupBy(c => c.Category, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (Category: g.Key, Members: g.ToList()))
            .ToList();

        var quotas = Allocate(strata.Select(s => (s.Category, s.Members.Count)).ToList(), size, sorted.Count);

        var picked = new List<string>(size);
        for (int i = 0; i < strata.Count; i++)
        {
            var members = strata[i].Members;
            var random = new Random(StableHash.Seed(seed, strata[i].Category));
            // Partial Fisher–Yates: only the first `quota` slots need to be settled.
            for (int j = 0; j < quotas[i]; j++)
            {
                int k = random.Next(j, members.Count);
                (members[j], members[k]) = (members[k], members[j]);
                picked.Add(members[j].PairId);
            }
        }

        picked.Sort(StringComparer.Ordinal);
        return picked;
    }

    /// <summary>
    /// Largest-remainder (Hamilton) allocation, computed in integers so ties are exact and platform-independent.
    /// Requires 0 &lt; size &lt; total, which keeps every quota within its stratum's size.
    /// </summary>
    static int[] Allocate(IReadOnlyList<(string Category, int Count)> strata, int size, int total)
    {
        var quotas = new int[strata.Count];
        var remainders = new long[strata.Count];
        int assigned = 0;
        for (int i = 0; i < strata.Count; i++)
        {
            long scaled = (long)size * strata[i].Count;
            quotas[i] = (int)(scaled / total);
            remainders[i] = scaled % total;
            assigned += quotas[i];
        }

        // Strata are already in ordinal category order, so a stable sort breaks remainder ties by name.
        var byRemainder = Enumerable.Range(0, strata.Count).OrderByDescending(i => remainders[i]).ToList();
        for (int r = 0; r < size - assigned; r++)
            quotas[byRemainder[r]]++;

        // A category with no reviewed items would show as "no data" in the agreement table, which reads worse
        // than a slightly less proportional sample. Only possible to honour when there are enough slots.
        if (size >= strata.Count)
        {
            for (int i = 0; i < strata.Count; i++)
            {
                if (quotas[i] > 0)
                    continue;
                // Pigeonhole guarantees a donor with at least two; the first largest in name order gives one up.
                int donor = 0;
                for (int j = 1; j < strata.Count; j++)
                    if (quotas[j] > quotas[donor])
                        donor = j;
                quotas[donor]--;
                quotas[i]++;
            }
        }

        return quotas;
    }
}
