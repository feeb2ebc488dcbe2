using SynthPref.Orchestration.Sampling;
using SynthPref.Orchestration.Statistics;

namespace SynthPref.Tests.Unit;

public class StratifiedSamplerTests
{
    static List<SampleCandidate> Candidates(params (string Category, int Count)[] strata) =>
        strata.SelectMany(s => Enumerable.Range(0, s.Count).Select(i => new SampleCandidate($"{s.Category}-{i:D4}", s.Category)))
            .ToList();

    static Dictionary<string, int> PerCategory(IReadOnlyList<string> ids, IEnumerable<SampleCandidate> candidates)
    {
        var categoryOf = candidates.ToDictionary(c => c.PairId, c => c.Category);
        return ids.GroupBy(id => categoryOf[id]).ToDictionary(g => g.Key, g => g.Count());
    }

    [Fact]
    public void Same_seed_gives_same_sample_regardless_of_input_order()
    {
        var candidates = Candidates(("code", 40), ("chat", 25), ("math", 15));
        var shuffled = candidates.OrderBy(_ => Guid.NewGuid()).ToList();
        var reversed = Enumerable.Reverse(candidates).ToList();

        var first = StratifiedSampler.Sample(candidates, 20, seed: 42);

        Assert.Equal(first, StratifiedSampler.Sample(shuffled, 20, seed: 42));
        Assert.Equal(first, StratifiedSampler.Sample(reversed, 20, seed: 42));
        Assert.Equal(20, first.Count);
        Assert.Equal(20, first.Distinct().Count());
        Assert.Equal(first.OrderBy(id => id, StringComparer.Ordinal), first);
    }

    [Fact]
    public void Different_seed_gives_different_sample()
    {
        var candidates = Candidates(("code", 50), ("chat", 50));

        var a = StratifiedSampler.Sample(candidates, 10, seed: 1);
        var b = StratifiedSampler.Sample(candidates, 10, seed: 2);

        Assert.NotEqual(a, b);
        // Both are still 5/5 splits: the seed changes which items, not how many per category.
        Assert.Equal(PerCategory(a, candidates), PerCategory(b, candidates));
    }

    [Fact]
    public void Allocation_is_proportional_with_largest_remainder()
    {
        // 10 of 100: code 5.5 → 5, chat 3.3 → 3, math 1.2 → 1 ; the one left goes to the largest remainder (code, .5).
        var candidates = Candidates(("code", 55), ("chat", 33), ("math", 12));

        var counts = PerCategory(StratifiedSampler.Sample(candidates, 10, seed: 7), candidates);

        Assert.Equal(6, counts["code"]);
        Assert.Equal(3, counts["chat"]);
        Assert.Equal(1, counts["math"]);
    }

    [Fact]
    public void Equal_remainders_are_broken_by_category_name()
    {
        // 3 of 6 with two strata of 3: 1.5 each → both floor to 1, the extra slot goes to "alpha" (ordinal first).
        var candidates = Candidates(("beta", 3), ("alpha", 3));

        var counts = PerCategory(StratifiedSampler.Sample(candidates, 3, seed: 3), candidates);

        Assert.Equal(2, counts["alpha"]);
        Assert.Equal(1, counts["beta"]);
    }

    [Fact]
    public void Every_category_gets_at_least_one_when_size_allows()
    {
        // Proportional: big 4.85 → 5, each singleton 0.05 → 0 ; minimum-one moves three slots from "big".
        var candidates = Candidates(("big", 97), ("tiny", 1), ("tiny2", 1), ("small", 1));

        var counts = PerCategory(StratifiedSampler.Sample(candidates, 5, seed: 11), candidates);

        Assert.Equal(2, counts["big"]);
        Assert.Equal(1, counts["tiny"]);
        Assert.Equal(1, counts["tiny2"]);
        Assert.Equal(1, counts["small"]);
    }

    [Fact]
    public void Size_smaller_than_category_count_stays_proportional()
    {
        var candidates = Candidates(("big", 90), ("a", 5), ("b", 5));

        var ids = StratifiedSampler.Sample(candidates, 2, seed: 5);

        Assert.Equal(2, ids.Count);
        Assert.All(ids, id => Assert.StartsWith("big-", id));
    }

    [Fact]
    public void Size_at_or_above_count_returns_everything_sorted()
    {
        var candidates = new List<SampleCandidate> { new("b", "x"), new("a", "y"), new("C", "x") };

        Assert.Equal(["C", "a", "b"], StratifiedSampler.Sample(candidates, 3, seed: 1));
        Assert.Equal(["C", "a", "b"], StratifiedSampler.Sample(candidates, 100, seed: 1));
    }

    [Fact]
    public void Zero_size_is_empty_and_negative_size_is_rejected()
    {
        var candidates = Candidates(("code", 5));

        Assert.Empty(StratifiedSampler.Sample(candidates, 0, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedSampler.Sample(candidates, -1, seed: 1));
    }
}

public class StableHashTests
{
    [Fact]
    public void Fnv1a_of_empty_string_is_the_offset_basis() =>
        Assert.Equal(2166136261u, StableHash.Fnv1a(""));

    /// <summary>
    /// Pinned values, worked out once outside this code base over the UTF-16 bytes (low byte first): every seeded
    /// sample and display order of every stored run depends on them, so a change here would change which items
    /// reviewers see. "a" = 61 00: (2166136261 ^ 0x61) * 16777619 mod 2^32 = 0xE40C292C, then
    /// (0xE40C292C ^ 0x00) * 16777619 mod 2^32 = 0x2B24D044.
    /// </summary>
    [Theory]
    [InlineData("a", 0x2B24D044u)]
    [InlineData("é", 0x59FB6F0Cu)]
    [InlineData("code", 0xAA32FEE8u)]
    public void Fnv1a_has_the_values_stored_runs_were_sampled_with(string text, uint expected) =>
        Assert.Equal(expected, StableHash.Fnv1a(text));

    [Fact]
    public void Fnv1a_depends_on_order() => Assert.NotEqual(StableHash.Fnv1a("ab"), StableHash.Fnv1a("ba"));

    [Fact]
    public void Seed_depends_on_both_seed_and_key()
    {
        Assert.Equal(StableHash.Seed(1, "code"), StableHash.Seed(1, "code"));
        Assert.NotEqual(StableHash.Seed(1, "code"), StableHash.Seed(2, "code"));
        Assert.NotEqual(StableHash.Seed(1, "code"), StableHash.Seed(1, "chat"));
    }
}

/// <summary>Stratification inside a category (pair source × judge confidence) and the later rounds' draws.</summary>
public class StratifiedSamplerStrataTests
{
    static List<SampleCandidate> Stratum(string category, string stratum, int count) =>
        Enumerable.Range(0, count).Select(i => new SampleCandidate($"{category}-{stratum.Replace('/', '-')}-{i:D3}", category, stratum)).ToList();

    static Dictionary<string, int> PerStratum(IReadOnlyList<string> ids, IEnumerable<SampleCandidate> candidates)
    {
        var of = candidates.ToDictionary(c => c.PairId, c => $"{c.Category}:{c.Stratum}");
        return ids.GroupBy(id => of[id]).ToDictionary(g => g.Key, g => g.Count());
    }

    [Fact]
    public void Proportional_is_largest_remainder_in_integers()
    {
        // 10 of 100 over 55/33/12: 5.5, 3.3, 1.2 → 5, 3, 1, and the tenth slot to the largest remainder (.5).
        Assert.Equal([6, 3, 1], StratifiedSampler.Proportional([55, 33, 12], 10));
        // 3 over 5 and 2 (of 7): 15/7 = 2 r1, 6/7 = 0 r6 → the slot left goes to the second.
        Assert.Equal([2, 1], StratifiedSampler.Proportional([5, 2], 3));
        // Equal remainders: 1 slot over 1/1 → the first.
        Assert.Equal([1, 0], StratifiedSampler.Proportional([1, 1], 1));
        // Enough slots for everything: everything.
        Assert.Equal([5, 2], StratifiedSampler.Proportional([5, 2], 9));
        // Allocate adds the minimum of one per category: 97/1/1/1 with 5 → 4.85, .05 ×3 → 5,0,0,0 → 2,1,1,1.
        Assert.Equal([2, 1, 1, 1], StratifiedSampler.Allocate([97, 1, 1, 1], 5));
    }

    [Fact]
    public void A_category_quota_is_spread_over_source_and_confidence_in_proportion()
    {
        // 8 of 24: categories c and d have 12 each → 4 and 4. Inside c: judge/high 6, judge/low 3, revision/none 3
        // → 4·6/12 = 2, 4·3/12 = 1, 1, exactly.
        var candidates = Stratum("c", "judge/high", 6).Concat(Stratum("c", "judge/low", 3)).Concat(Stratum("c", "revision/none", 3))
            .Concat(Stratum("d", "judge/none", 12)).ToList();

        var counts = PerStratum(StratifiedSampler.Sample(candidates, 8, seed: 5), candidates);

        Assert.Equal(2, counts["c:judge/high"]);
        Assert.Equal(1, counts["c:judge/low"]);
        Assert.Equal(1, counts["c:revision/none"]);
        Assert.Equal(4, counts["d:judge/none"]);
    }

    [Fact]
    public void A_stratum_remainder_goes_to_the_largest_fraction()
    {
        // 3 of 7 in one category: judge/high 5 → 15/7 = 2.14, judge/low 2 → 6/7 = 0.86; the third slot goes to judge/low.
        var candidates = Stratum("c", "judge/high", 5).Concat(Stratum("c", "judge/low", 2)).ToList();
        foreach (var seed in new[] { 1, 2, 3 })
        {
            var counts = PerStratum(StratifiedSampler.Sample(candidates, 3, seed), candidates);
            Assert.Equal(2, counts["c:judge/high"]);
            Assert.Equal(1, counts["c:judge/low"]);
        }
    }

    [Fact]
    public void One_stratum_per_category_draws_exactly_what_sampling_by_category_alone_drew()
    {
        // What the sampler did before strata: per category, a partial Fisher–Yates under Random(Seed(seed, category)).
        static List<string> ByCategoryAlone(List<SampleCandidate> candidates, int size, int seed)
        {
            var sorted = candidates.OrderBy(c => c.PairId, StringComparer.Ordinal).ToList();
            var strata = sorted.GroupBy(c => c.Category, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
            var quotas = StratifiedSampler.Allocate(strata.Select(g => g.Count()).ToList(), size);
            var picked = new List<string>();
            for (var i = 0; i < strata.Count; i++)
            {
                var members = strata[i].ToList();
                var random = new Random(StableHash.Seed(seed, strata[i].Key));
                for (var j = 0; j < quotas[i]; j++)
                {
                    var k = random.Next(j, members.Count);
                    (members[j], members[k]) = (members[k], members[j]);
                    picked.Add(members[j].PairId);
                }
            }
            return picked.Order(StringComparer.Ordinal).ToList();
        }

        var plain = Stratum("code", "judge/none", 40).Concat(Stratum("chat", "judge/none", 25)).Concat(Stratum("math", "judge/none", 15)).ToList();
        foreach (var (size, seed) in new[] { (20, 42), (7, 1), (3, 99) })
            Assert.Equal(ByCategoryAlone(plain, size, seed), StratifiedSampler.Sample(plain, size, seed));
    }

    [Fact]
    public void A_later_round_takes_its_quotas_from_what_is_left_seeded_by_run_seed_and_round()
    {
        var remaining = Stratum("a", "judge/none", 10).Concat(Stratum("b", "judge/none", 3)).Concat(Stratum("c", "judge/none", 5)).ToList();
        var quotas = new Dictionary<string, int> { ["a"] = 2, ["b"] = 5 };

        var round2 = StratifiedSampler.SampleMore(remaining, quotas, seed: 7, round: 2);

        var counts = PerStratum(round2, remaining);
        Assert.Equal(2, counts["a:judge/none"]);
        Assert.Equal(3, counts["b:judge/none"]); // asked for 5, has 3
        Assert.False(counts.ContainsKey("c:judge/none"));
        Assert.Equal(round2, StratifiedSampler.SampleMore(remaining.AsEnumerable().Reverse().ToList(), quotas, seed: 7, round: 2));
        // Another round, or another run seed, draws other items from "a".
        var many = new Dictionary<string, int> { ["a"] = 3 };
        var draws = new[] { (7, 2), (7, 3), (8, 2) }.Select(x => string.Join(",", StratifiedSampler.SampleMore(remaining, many, x.Item1, x.Item2))).ToList();
        Assert.Equal(3, draws.Distinct().Count());
    }
}
