using SynthPref.Orchestration.Sampling;
using SynthPref.Orchestration.Statistics;

namespace SynthPref.Orchestration.Reviews;

/// <summary>A category as a round is planned: its judge–human votes so far and how many agreed (the report's tally of
/// the labels so far), and how many of its pairs are not sampled yet.</summary>
public sealed record CategoryTally(string Category, int Votes, int Agree, int Remaining);

/// <summary>Items to draw per category, the categories that were too wide, and when nothing is drawn, why.</summary>
public sealed record RoundPlan(IReadOnlyDictionary<string, int> Quotas, IReadOnlyList<CategoryInterval> WiderThanTarget, RoundsStop? StoppedBy);

/// <summary>
/// Adaptive review: after each round, every category whose 95% Wilson interval is wider than the target gets as many
/// more items as it would need, at its current agreement rate, for the interval to narrow to the target, counting
/// <c>votesPerItem</c> votes per item (minReviewsPerItem: what each item is sure to get). The rate moves as votes come
/// in, so the next round checks again. Under a cap on sampled items the requests are scaled down proportionally.
/// </summary>
public static class ReviewRounds
{
    /// <summary>The fewest votes at which the interval would be at most <paramref name="target"/> wide, at the rate seen
    /// so far (one half without votes: the widest it can be).</summary>
    public static long VotesNeeded(int agree, int votes, double target)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(target);
        var rate = votes == 0 ? 0.5 : (double)agree / votes;
        long low = Math.Max(votes, 1), high = low;
        while (WilsonInterval.ProjectedWidth(rate, high) > target) high *= 2;
        // Smallest n in [low, high] with a projected width at most the target.
        while (low < high)
        {
            var mid = low + (high - low) / 2;
            if (WilsonInterval.ProjectedWidth(rate, mid) <= target) high = mid;
            else low = mid + 1;
        }
        return low;
    }

    /// <param name="capLeft">Items the run may still sample (maxReviewSampleSize less those sampled), null for no cap.</param>
    public static RoundPlan Plan(IReadOnlyList<CategoryTally> categories, double target, int votesPerItem, int? capLeft)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(votesPerItem);
        var ordered = categories.OrderBy(c => c.Category, StringComparer.Ordinal).ToList();
        var wide = ordered.Where(c => WilsonInterval.Width(c.Agree, c.Votes) > target).ToList();
        var requests = wide.Select(c =>
        {
            var more = VotesNeeded(c.Agree, c.Votes, target) - c.Votes;
            var items = Math.Max(1, (more + votesPerItem - 1) / votesPerItem);
            return (int)Math.Min(items, c.Remaining);
        }).ToArray();

        RoundsStop? stoppedBy = wide.Count == 0 ? RoundsStop.TargetsMet
            : requests.All(r => r == 0) ? RoundsStop.NoItemsLeft
            : capLeft is <= 0 ? RoundsStop.SampleLimit
            : null;
        var quotas = stoppedBy is not null ? new int[wide.Count]
            : capLeft is { } cap && requests.Sum() > cap ? StratifiedSampler.Proportional(requests, cap)
            : requests;

        return new RoundPlan(
            wide.Select((c, i) => (c.Category, quotas[i])).Where(q => q.Item2 > 0)
                .ToDictionary(q => q.Category, q => q.Item2, StringComparer.Ordinal),
            wide.Select((c, i) => new CategoryInterval(c.Category, c.Votes, c.Agree, WilsonInterval.Width(c.Agree, c.Votes), quotas[i])).ToList(),
            stoppedBy);
    }
}
