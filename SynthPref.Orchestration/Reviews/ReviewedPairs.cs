using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Reviews;

/// <summary>A reviewer's label in the pair's own A/B terms.</summary>
public sealed record ReviewerLabel(string Reviewer, Preference Label);

/// <summary>One accepted label on a sampled pair, in the pair's own A/B terms, with the round that drew the pair.</summary>
public sealed record PairLabel(PreferencePair Pair, int Round, string Reviewer, Preference Label);

/// <summary>A pair some reviewer labelled: the round its item was drawn in, and each reviewer's label in the pair's own
/// A/B terms, by reviewer name.</summary>
public sealed record ReviewedPair(PreferencePair Pair, int Round, IReadOnlyList<ReviewerLabel> Labels)
{
    /// <summary>The label more than half of the reviewers chose; null when none has a majority.</summary>
    public Preference? Majority => MajorityOf(Labels.Select(l => l.Label).ToList());

    /// <summary>The reviewers' majority is A or B, so people decided the pair.</summary>
    public bool Decided => Majority is Preference.A or Preference.B;

    /// <summary>The reviewers' majority label equals the pair's verdict (no majority is a miss).</summary>
    public bool Agrees => Majority is { } majority && majority == Pair.Verdict;

    /// <summary>The label more than half of <paramref name="labels"/> are; null when none is.</summary>
    public static Preference? MajorityOf(IReadOnlyCollection<Preference> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        foreach (var group in labels.GroupBy(l => l))
            if (2 * group.Count() > labels.Count)
                return group.Key;
        return null;
    }
}

/// <summary>
/// The one join of the labels in storage to the pairs they are about, in the pairs' own A/B terms (a reviewer's first
/// or second mapped back through the order the item was shown in). The report, the trust calibration and the adaptive
/// rounds all read labels through it. Labels of items whose pair is unknown are left out.
/// </summary>
public sealed class ReviewedPairs
{
    ReviewedPairs(IReadOnlyList<PairLabel> labels, IReadOnlyList<ReviewedPair> pairs) => (Labels, Pairs) = (labels, pairs);

    /// <summary>Every accepted label, in the order given (storage lists them by item, then by reviewer key).</summary>
    public IReadOnlyList<PairLabel> Labels { get; }

    /// <summary>Each labelled pair with its labels by reviewer name, in item order (then source, then pair id).</summary>
    public IReadOnlyList<ReviewedPair> Pairs { get; }

    public static ReviewedPairs Join(IEnumerable<PreferencePair> pairs, IEnumerable<ReviewItem> items, IEnumerable<ReviewLabelRecord> labels)
    {
        var byId = pairs.ToDictionary(p => p.PairId, StringComparer.Ordinal);
        var itemsById = items.Where(i => byId.ContainsKey(i.PairId)).ToDictionary(i => i.ItemId, StringComparer.Ordinal);
        var joined = labels
            .Where(l => itemsById.ContainsKey(l.ItemId))
            .Select(l => (l.ItemId, Label: Labelled(l, itemsById[l.ItemId], byId)))
            .ToList();
        var reviewed = joined
            .GroupBy(l => l.ItemId, StringComparer.Ordinal)
            .Select(g => new ReviewedPair(g.First().Label.Pair, g.First().Label.Round,
                g.Select(l => new ReviewerLabel(l.Label.Reviewer, l.Label.Label)).OrderBy(l => l.Reviewer, StringComparer.Ordinal).ToList()))
            .OrderBy(r => r.Pair.ItemIndex).ThenBy(r => r.Pair.Source).ThenBy(r => r.Pair.PairId, StringComparer.Ordinal)
            .ToList();
        return new ReviewedPairs(joined.Select(l => l.Label).ToList(), reviewed);
    }

    static PairLabel Labelled(ReviewLabelRecord label, ReviewItem item, Dictionary<string, PreferencePair> byId) =>
        new(byId[item.PairId], item.Round, label.Reviewer, item.InPairTerms(label.Label));
}
