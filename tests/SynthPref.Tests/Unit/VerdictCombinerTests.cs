using SynthPref.Orchestration.Judging;

namespace SynthPref.Tests.Unit;

public sealed class VerdictCombinerTests
{
    static JudgeCall Call(Preference preference, Confidence? confidence = Confidence.High, string? reasoning = null, int attempts = 1) =>
        new(new JudgeAnswer(preference, confidence, reasoning), $"raw {preference}", attempts);

    static JudgeCall Unparseable() => new(JudgeAnswer.Unparseable, "garbage", 2);

    static JudgeVerdict Combine(JudgeCall forward, JudgeCall? swapped) => VerdictCombiner.Combine("j", "m", forward, swapped);

    /// <summary>The verdict as stored: name and model, then the label, confidence and reasoning, then the positional
    /// labels the two calls gave.</summary>
    static JudgeVerdict Verdict(Preference verdict, Confidence? confidence, string? reasoning, JudgeCall forward, JudgeCall? swapped,
        bool judgedBothOrders, bool inconsistent) =>
        new("j", "m", verdict, confidence, reasoning, forward.Answer.Verdict, swapped?.Answer.Verdict, judgedBothOrders, inconsistent,
            forward.Attempts + (swapped?.Attempts ?? 0));

    [Theory]
    [InlineData(Preference.A)]
    [InlineData(Preference.B)]
    [InlineData(Preference.Tie)]
    [InlineData(Preference.Unparseable)]
    public void WithoutSwapTheForwardCallIsTheVerdict(Preference preference)
    {
        var forward = Call(preference, Confidence.Medium, "why");

        var verdict = Combine(forward, null);

        Assert.Equal(Verdict(preference, Confidence.Medium, "why", forward, null, false, false), verdict);
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

        var verdict = Combine(forward, swapped);

        Assert.Equal(Verdict(expected, Confidence.Medium, "forward says", forward, swapped, true, false), verdict);
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

        var verdict = Combine(forward, swapped);

        Assert.Equal(Preference.Tie, verdict.Verdict);
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
        var verdict = Combine(Call(Preference.A, reasoning: null), Call(Preference.A, reasoning: "only swapped"));
        Assert.Equal($"{VerdictCombiner.SwappedLabel}\nonly swapped", verdict.Reasoning);

        var neither = Combine(Call(Preference.A), Call(Preference.A));
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
        var verdict = Combine(Call(Preference.A, first), Call(Preference.B, second));
        Assert.Equal(expected, verdict.Confidence);
    }

    [Fact]
    public void OnlyForwardParsedUsesItWithLowConfidence()
    {
        var forward = Call(Preference.B, Confidence.High, "forward");
        var swapped = Unparseable();

        var verdict = Combine(forward, swapped);

        Assert.Equal(Verdict(Preference.B, Confidence.Low, "forward", forward, swapped, false, false), verdict);
    }

    [Fact]
    public void OnlySwappedParsedIsMappedBackToInputTerms()
    {
        var forward = Unparseable();
        var swapped = Call(Preference.A, Confidence.High, "swapped");

        var verdict = Combine(forward, swapped);

        Assert.Equal(Verdict(Preference.B, Confidence.Low, "swapped", forward, swapped, false, false), verdict);
        Assert.Equal(4 - 1, verdict.Calls);
    }

    [Fact]
    public void BothUnparseableIsUnparseable()
    {
        var forward = Unparseable();
        var swapped = Unparseable();

        var verdict = Combine(forward, swapped);

        Assert.Equal(Verdict(Preference.Unparseable, null, null, forward, swapped, false, false), verdict);
        Assert.Equal(4, verdict.Calls);
    }
}
