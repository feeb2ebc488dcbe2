using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Tests.Unit;

public sealed class VerdictCombinerTests
{
    private static JudgeCall Call(Preference preference, Confidence? confidence = Confidence.High, string? reasoning = null, int attempts = 1) =>
        new(preference, confidence, reasoning, $"raw {preference}", attempts);

    private static JudgeCall Unparseable() => new(Preference.Unparseable, null, null, "garbage", 2);

    [Theory]
    [InlineData(Preference.A)]
    [InlineData(Preference.B)]
    [InlineData(Preference.Tie)]
    [InlineData(Preference.Unparseable)]
    public void WithoutSwapTheForwardCallIsTheVerdict(Preference preference)
    {
        var forward = Call(preference, Confidence.Medium, "why");

        var verdict = VerdictCombiner.Combine(forward, null);

        Assert.Equal(new PairVerdict(preference, Confidence.Medium, "why", false, false, forward, null), verdict);
        Assert.Equal(1, verdict.Calls);
    }

    [Theory]
    [InlineData(Preference.A, Preference.B, Preference.A)]
    [InlineData(Preference.B, Preference.A, Preference.B)]
    [InlineData(Preference.Tie, Preference.Tie, Preference.Tie)]
    public void ConsistentAnswersAgreeInInputTerms(Preference forwardPositional, Preference swappedPositional, Preference expected)
    {
        var forward = Call(forwardPositional, Confidence.High, "forward says");
        var swapped = Call(swappedPositional, Confidence.Medium, "swapped says", attempts: 2);

        var verdict = VerdictCombiner.Combine(forward, swapped);

        Assert.Equal(new PairVerdict(expected, Confidence.Medium, "forward says", true, false, forward, swapped), verdict);
        Assert.Equal(3, verdict.Calls);
    }

    [Theory]
    // Same positional letter means the judge followed the position, not the content.
    [InlineData(Preference.A, Preference.A)]
    [InlineData(Preference.B, Preference.B)]
    [InlineData(Preference.A, Preference.Tie)]
    [InlineData(Preference.Tie, Preference.B)]
    public void InconsistentAnswersBecomeALowConfidenceTie(Preference forwardPositional, Preference swappedPositional)
    {
        var forward = Call(forwardPositional, Confidence.High, "first reason");
        var swapped = Call(swappedPositional, Confidence.High, "second reason");

        var verdict = VerdictCombiner.Combine(forward, swapped);

        Assert.Equal(Preference.Tie, verdict.Preference);
        Assert.Equal(Confidence.Low, verdict.Confidence);
        Assert.True(verdict.JudgedBothOrders);
        Assert.True(verdict.PositionInconsistent);
        Assert.Equal(
            $"{VerdictCombiner.ForwardLabel}\nfirst reason\n\n---\n\n{VerdictCombiner.SwappedLabel}\nsecond reason",
            verdict.Reasoning);
    }

    [Fact]
    public void InconsistentReasoningSkipsMissingParts()
    {
        var verdict = VerdictCombiner.Combine(Call(Preference.A, reasoning: null), Call(Preference.A, reasoning: "only swapped"));
        Assert.Equal($"{VerdictCombiner.SwappedLabel}\nonly swapped", verdict.Reasoning);

        var neither = VerdictCombiner.Combine(Call(Preference.A), Call(Preference.A));
        Assert.Null(neither.Reasoning);
    }

    [Theory]
    [InlineData(Confidence.High, Confidence.Low, Confidence.Low)]
    [InlineData(Confidence.Low, Confidence.High, Confidence.Low)]
    [InlineData(Confidence.Medium, Confidence.High, Confidence.Medium)]
    [InlineData(null, Confidence.High, Confidence.High)]
    [InlineData(Confidence.Medium, null, Confidence.Medium)]
    [InlineData(null, null, null)]
    public void ConsistentConfidenceIsTheLowerKnownOne(Confidence? first, Confidence? second, Confidence? expected)
    {
        var verdict = VerdictCombiner.Combine(Call(Preference.A, first), Call(Preference.B, second));
        Assert.Equal(expected, verdict.Confidence);
    }

    [Fact]
    public void OnlyForwardParsedUsesItWithLowConfidence()
    {
        var forward = Call(Preference.B, Confidence.High, "forward");
        var swapped = Unparseable();

        var verdict = VerdictCombiner.Combine(forward, swapped);

        Assert.Equal(new PairVerdict(Preference.B, Confidence.Low, "forward", false, false, forward, swapped), verdict);
    }

    [Fact]
    public void OnlySwappedParsedIsMappedBackToInputTerms()
    {
        var forward = Unparseable();
        var swapped = Call(Preference.A, Confidence.High, "swapped");

        var verdict = VerdictCombiner.Combine(forward, swapped);

        Assert.Equal(new PairVerdict(Preference.B, Confidence.Low, "swapped", false, false, forward, swapped), verdict);
        Assert.Equal(4 - 1, verdict.Calls);
    }

    [Fact]
    public void BothUnparseableIsUnparseable()
    {
        var forward = Unparseable();
        var swapped = Unparseable();

        var verdict = VerdictCombiner.Combine(forward, swapped);

        Assert.Equal(new PairVerdict(Preference.Unparseable, null, null, false, false, forward, swapped), verdict);
        Assert.Equal(4, verdict.Calls);
    }
}
