using SynthPref.Orchestration.Judging;

namespace SynthPref.Tests.Unit;

public sealed class VerdictParserTests
{
    [Fact]
    public void ParsesTheCanonicalFormat()
    {
        var verdict = VerdictParser.Parse("PREFERENCE: A\nCONFIDENCE: high\nREASONING: A is correct.\nB miscounts.\n");

        Assert.Equal(new JudgeAnswer(Preference.A, Confidence.High, "A is correct.\nB miscounts."), verdict);
    }

    [Theory]
    [InlineData("PREFERENCE: A", Preference.A)]
    [InlineData("PREFERENCE: B", Preference.B)]
    [InlineData("PREFERENCE: TIE", Preference.Tie)]
    [InlineData("preference: b", Preference.B)]
    [InlineData("Preference: Tie", Preference.Tie)]
    [InlineData("PREFERENCE: tie", Preference.Tie)]
    [InlineData("**Preference:** A", Preference.A)]
    [InlineData("**PREFERENCE**: B", Preference.B)]
    [InlineData("__Preference__ - B", Preference.B)]
    [InlineData("## PREFERENCE\nB", Preference.B)]
    [InlineData("### Preference:\n\n**TIE**", Preference.Tie)]
    [InlineData("PREFERENCE: [A]", Preference.A)]
    [InlineData("PREFERENCE: (B)", Preference.B)]
    [InlineData("PREFERENCE: \"TIE\"", Preference.Tie)]
    [InlineData("PREFERENCE: `A`", Preference.A)]
    [InlineData("PREFERENCE: Response A", Preference.A)]
    [InlineData("PREFERENCE: [Response B]", Preference.B)]
    [InlineData("PREFERENCE: **Response B**.", Preference.B)]
    [InlineData("PREFERENCE - A", Preference.A)]
    [InlineData("PREFERENCE = B", Preference.B)]
    [InlineData("PREFERENCE:A", Preference.A)]
    [InlineData("- **Preference**: A", Preference.A)]
    [InlineData("PREFERENCE: A (it is more accurate than B)", Preference.A)]
    [InlineData("PREFERENCE: B, because A contains an error", Preference.B)]
    [InlineData("PREFERENCE: a tie", Preference.Tie)]
    [InlineData("Some preamble.\n\nPREFERENCE: B\nCONFIDENCE: low", Preference.B)]
    [InlineData("PREFERENCE: A\nREASONING: fine\nPREFERENCE: A", Preference.A)]
    [InlineData("Preference-wise both are close.\nPREFERENCE: B", Preference.B)]
    public void ToleratesDecoratedPreferences(string text, Preference expected)
    {
        Assert.Equal(expected, VerdictParser.Parse(text)?.Verdict);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   \n ")]
    [InlineData("A")]
    [InlineData("I prefer response A.")]
    [InlineData("PREFERENCE:")]
    [InlineData("PREFERENCE: A or B")]
    [InlineData("PREFERENCE: A|B|TIE")]
    [InlineData("PREFERENCE: A/B")]
    [InlineData("PREFERENCE: Response A and Response B")]
    [InlineData("PREFERENCE: equal")]
    [InlineData("PREFERENCE: both")]
    [InlineData("PREFERENCE: C")]
    [InlineData("PREFERENCE: Alpha")]
    [InlineData("PREFERENCE: A\nPREFERENCE: B")]
    [InlineData("CONFIDENCE: high\nREASONING: A is better")]
    [InlineData("My preference is A")]
    [InlineData("Preferences: A")]
    public void RejectsMissingOrAmbiguousPreferences(string? text)
    {
        Assert.Null(VerdictParser.Parse(text));
    }

    [Theory]
    [InlineData("PREFERENCE: A\nCONFIDENCE: high", Confidence.High)]
    [InlineData("PREFERENCE: A\nconfidence: Medium", Confidence.Medium)]
    [InlineData("PREFERENCE: A\n**Confidence:** LOW", Confidence.Low)]
    [InlineData("PREFERENCE: A\nCONFIDENCE = [medium]", Confidence.Medium)]
    [InlineData("PREFERENCE: A\n## Confidence\nhigh", Confidence.High)]
    [InlineData("PREFERENCE: A", null)]
    [InlineData("PREFERENCE: A\nCONFIDENCE: high or low", null)]
    [InlineData("PREFERENCE: A\nCONFIDENCE: very sure", null)]
    [InlineData("PREFERENCE: A\nCONFIDENCE: high\nCONFIDENCE: low", null)]
    public void ConfidenceIsOptionalAndTolerant(string text, Confidence? expected)
    {
        var verdict = VerdictParser.Parse(text);

        Assert.NotNull(verdict);
        Assert.Equal(expected, verdict.Confidence);
    }

    [Fact]
    public void ReasoningIsMultiLineAndTrimmed()
    {
        var verdict = VerdictParser.Parse("**Preference:** B\n**Confidence:** medium\n**Reasoning:**\n\n  First point.\n\n- Second point: detail.  \n\n");

        Assert.Equal("First point.\n\n- Second point: detail.", verdict?.Reasoning);
    }

    [Fact]
    public void ReasoningStopsAtALaterVerdictLine()
    {
        var verdict = VerdictParser.Parse("REASONING: B is clearer.\nIt is also shorter.\nPREFERENCE: B\nCONFIDENCE: high");

        Assert.Equal(new JudgeAnswer(Preference.B, Confidence.High, "B is clearer.\nIt is also shorter."), verdict);
    }

    [Theory]
    [InlineData("PREFERENCE: A")]
    [InlineData("PREFERENCE: A\nREASONING:   ")]
    public void MissingReasoningIsNull(string text)
    {
        Assert.Null(VerdictParser.Parse(text)?.Reasoning);
        Assert.NotNull(VerdictParser.Parse(text));
    }

    [Fact]
    public void HandlesWindowsLineEndings()
    {
        Assert.Equal(
            new JudgeAnswer(Preference.Tie, Confidence.Low, "Same."),
            VerdictParser.Parse("PREFERENCE: TIE\r\nCONFIDENCE: low\r\nREASONING: Same.\r\n"));
    }
}
