using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Statistics;

namespace SynthPref.Orchestration.Agreement;

/// <summary>Judge–human agreement: raw rate with a Wilson interval, the rate ignoring ties, and Cohen's kappa.</summary>
public static class AgreementCalculator
{
    static readonly Preference[] Classes = [Preference.A, Preference.B, Preference.Tie];

    /// <summary>See <see cref="RunSettings.DefaultMinCategoryVotes"/>.</summary>
    public const int DefaultMinCategoryVotes = RunSettings.DefaultMinCategoryVotes;

    public static readonly IReadOnlyList<string> ConfusionLabels = ["A", "B", "tie"];

    public static AgreementReport Compute(IEnumerable<Vote> votes, int minCategoryVotes = DefaultMinCategoryVotes)
    {
        ArgumentNullException.ThrowIfNull(votes);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCategoryVotes, 1);
        var list = votes.ToList();
        foreach (var vote in list)
        {
            // An unparseable judge verdict or a missing human label is not a class either rater chose;
            // counting it would silently distort both the rate and kappa, so callers must filter first.
            if (vote.Human == Preference.Unparseable || vote.Judge == Preference.Unparseable)
                throw new ArgumentException($"Vote in category '{vote.Category}' has an Unparseable label.", nameof(votes));
        }

        var byCategory = ByCategory(list);
        var overall = Stats(list);
        var mostDivergent = byCategory
            .Where(kv => kv.Value.Votes >= minCategoryVotes)
            .OrderBy(kv => kv.Value.Rate)
            .ThenByDescending(kv => kv.Value.Votes)
            .ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new DivergentCategory(kv.Key, kv.Value.Votes, kv.Value.Agree, kv.Value.Rate!.Value, kv.Value.Ci95!,
                kv.Value.Ci95![1] < overall.Rate))
            .ToList();
        var tooFew = byCategory
            .Where(kv => kv.Value.Votes < minCategoryVotes)
            .OrderByDescending(kv => kv.Value.Votes)
            .ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new CategoryVotes(kv.Key, kv.Value.Votes))
            .ToList();

        return new AgreementReport(overall, byCategory, mostDivergent, Confusion: Confusion(list), MinCategoryVotes: minCategoryVotes,
            TooFewVotes: tooFew, Ranking: RankingStatement(list.Count, byCategory.Count, mostDivergent, tooFew, minCategoryVotes));
    }

    /// <summary>Each category's figures, by category name: the tally the report prints and the adaptive review rounds
    /// plan from.</summary>
    public static SortedDictionary<string, AgreementStats> ByCategory(IEnumerable<Vote> votes)
    {
        ArgumentNullException.ThrowIfNull(votes);
        var byCategory = new SortedDictionary<string, AgreementStats>(StringComparer.Ordinal);
        foreach (var group in votes.GroupBy(v => v.Category, StringComparer.Ordinal))
            byCategory[group.Key] = Stats(group.ToList());
        return byCategory;
    }

    /// <summary>Each accepted label set against the judge's final verdict on its pair, both in the pair's A/B terms, in
    /// the order given.</summary>
    public static List<Vote> VotesOf(IEnumerable<PairLabel> labels) =>
        labels.Select(l => new Vote(l.Pair.Category, l.Label, l.Pair.Verdict)).ToList();

    /// <summary>What the ranking can and cannot say, in one plain sentence for the report, the page and the demo.</summary>
    public static string RankingStatement(int votes, int categories, IReadOnlyList<DivergentCategory> ranked, IReadOnlyList<CategoryVotes> tooFew,
        int minCategoryVotes)
    {
        if (votes == 0)
            return "No votes were cast, so no category can be ranked.";
        if (ranked.Count == 0)
            return $"No category has the {minCategoryVotes} votes needed to rank it (the most any has is {tooFew.Max(c => c.Votes)}), " +
                   $"so {votes} {Plural(votes, "vote", "votes")} over {categories} {Plural(categories, "category", "categories")} " +
                   "cannot say which categories the judge diverges on.";
        var significant = ranked.Count(c => c.DivergesSignificantly);
        var text = $"{ranked.Count} of {categories} {Plural(categories, "category", "categories")} {Plural(ranked.Count, "has", "have")} " +
                   $"at least {minCategoryVotes} votes and {Plural(ranked.Count, "is", "are")} ranked; " +
                   (significant == 0
                       ? "none is significantly below the overall rate."
                       : $"{significant} {Plural(significant, "is", "are")} significantly below the overall rate (the upper bound of the 95% interval is under it).");
        if (tooFew.Count > 0)
            text += $" {tooFew.Count} {Plural(tooFew.Count, "has", "have")} too few votes to rank.";
        return text;
    }

    static string Plural(int n, string one, string many) => n == 1 ? one : many;

    /// <summary>Rows: the judge's verdict; columns: the human label; both A, B, tie.</summary>
    public static ConfusionMatrix Confusion(IEnumerable<Vote> votes)
    {
        ArgumentNullException.ThrowIfNull(votes);
        var counts = new int[Classes.Length][];
        for (var r = 0; r < counts.Length; r++) counts[r] = new int[Classes.Length];
        foreach (var vote in votes)
        {
            int row = Array.IndexOf(Classes, vote.Judge), column = Array.IndexOf(Classes, vote.Human);
            if (row < 0 || column < 0)
                throw new ArgumentException($"Vote in category '{vote.Category}' has an Unparseable label.", nameof(votes));
            counts[row][column]++;
        }
        return new ConfusionMatrix("judge", "human", ConfusionLabels, counts);
    }

    public static AgreementStats Stats(IReadOnlyCollection<Vote> votes)
    {
        int n = votes.Count;
        int agree = votes.Count(v => v.Human == v.Judge);
        var decisive = votes.Where(v => v.Human != Preference.Tie && v.Judge != Preference.Tie).ToList();
        int decisiveAgree = decisive.Count(v => v.Human == v.Judge);

        return new AgreementStats(
            n,
            agree,
            n == 0 ? null : (double)agree / n,
            n == 0 ? null : WilsonInterval.Of(agree, n),
            decisive.Count,
            decisive.Count == 0 ? null : (double)decisiveAgree / decisive.Count,
            Kappa(votes));
    }

    /// <summary>
    /// Cohen's kappa over A/B/Tie with judge and human as the two raters. Expected agreement is 1 only when
    /// both raters used one and the same class for every vote; kappa is then 0/0, and we report 1.0 because
    /// the raters did agree perfectly and a null would read as "no data" in the report.
    /// </summary>
    public static double? Kappa(IReadOnlyCollection<Vote> votes)
    {
        long n = votes.Count;
        if (n == 0)
            return null;

        long agree = votes.Count(v => v.Human == v.Judge);
        // Work in integer counts so the perfect-chance case is detected exactly, not within float noise.
        long chanceNumerator = 0;
        foreach (var cls in Classes)
            chanceNumerator += (long)votes.Count(v => v.Human == cls) * votes.Count(v => v.Judge == cls);

        long nSquared = n * n;
        if (chanceNumerator == nSquared)
            return agree == n ? 1.0 : null;

        double po = (double)agree / n;
        double pe = (double)chanceNumerator / nSquared;
        return (po - pe) / (1 - pe);
    }
}
