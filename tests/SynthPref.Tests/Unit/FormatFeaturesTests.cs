using SynthPref.Orchestration.Audit;

namespace SynthPref.Tests.Unit;

public class FormatFeaturesTests
{
    [Theory]
    [InlineData("- one\n- two")]
    [InlineData("* one\r\n* two")]
    [InlineData("Intro:\n+ one\n  + nested two")]
    [InlineData("1. first\n2. second")]
    [InlineData("1) first\n2) second")]
    [InlineData("- mixed\n3. markers")]
    [InlineData("# Title")]
    [InlineData("text\n### Section\nmore")]
    [InlineData("| a | b |")]
    [InlineData("before\n|---|---|\nafter")]
    public void Formatted_text_is_detected(string text) => Assert.True(FormatFeatures.IsFormatted(text));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Just a plain paragraph of prose.")]
    [InlineData("- only one bullet\nthen prose")]
    [InlineData("---\n***")]                     // rules, not list items
    [InlineData("-no space\n-after dash")]
    [InlineData("It costs 1.5 dollars.\n2.5 more")]
    [InlineData("#hashtag here")]                // not a heading
    [InlineData("####### seven hashes")]
    [InlineData("a | b | c")]                    // pipes inside prose
    [InlineData("-\n- ")]                        // markers without content
    public void Plain_text_is_not_formatted(string? text) => Assert.False(FormatFeatures.IsFormatted(text));
}
