using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Reviews;

namespace SynthPref.Tests.Unit;

/// <summary>A realistic report built from the real calculators, so report tests see real numbers.</summary>
static class ReportFactory
{
    public static List<Vote> Votes(string weirdCategory) =>
    [
        new(weirdCategory, Preference.A, Preference.B),
        new(weirdCategory, Preference.A, Preference.A),
        new("chat", Preference.A, Preference.A),
        new("chat", Preference.B, Preference.B),
        new("chat", Preference.Tie, Preference.A),
        new("chat", Preference.A, Preference.A),
    ];

    public static RunReport Build(string weirdCategory = "Code Review", bool lengthWarning = true)
    {
        var votes = Votes(weirdCategory);
        var agreement = AgreementCalculator.Compute(votes);
        var bias = new BiasReport(
            new LengthBias(Decisive: 20, LongerPreferred: lengthWarning ? 16 : 11, EqualLength: 2,
                Share: lengthWarning ? 0.8 : 0.55, Warning: lengthWarning),
            new PositionBias(PairsJudgedBothOrders: 8, Inconsistent: 1, InconsistentRate: 0.125, FirstPreferredRate: null),
            new SelfPreferenceBias(Pairs: 5, OwnPreferred: 3, Share: 0.6, Warning: false),
            new FormatBias(Pairs: 0, FormattedPreferred: 0, Share: null, Warning: false));

        return new RunReport(
            RunId: "run-42",
            Name: "Nightly <batch>",
            Pairs: new PairCounts(30, new Dictionary<string, int> { ["judge"] = 24, ["revision"] = 6 }, 1, 3, 1),
            Bias: bias,
            Review: new ReviewCounts(SampledItems: 6, Reviewers: 2, Votes: votes.Count, EndedBy: ReviewEnd.Deadline),
            Agreement: agreement,
            AgreementBySource: new Dictionary<string, AgreementStats>
            {
                // The first four votes are on judge pairs (3 agree), the last two on revision pairs (1 agrees).
                ["judge"] = AgreementCalculator.Stats(votes.Take(4).ToList()),
                ["revision"] = AgreementCalculator.Stats(votes.Skip(4).ToList()),
            },
            DatasetRows: 26,
            Cost: new CostReport(new Dictionary<string, TokenUsage>
            {
                ["judge"] = new(Requests: 60, Calls: 48, CacheHits: 12, InputTokens: 24_000, OutputTokens: 3_000),
            }));
    }
}
