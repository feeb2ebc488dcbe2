using SynthPref.Orchestration.Runs;

namespace SynthPref.Tests.Unit;

/// <summary>A failed run's error as each host's backend hands it over, cleaned to the same text.</summary>
public sealed class FailureTextTests
{
    const string Message = "Input 'synthpref-input/a.jsonl' has 1 invalid line(s):\nline 2, field 'prompt': required";

    [Fact]
    public void The_Functions_hosts_exception_type_prefix_is_removed() =>
        Assert.Equal(Message, FailureText.Clean("SynthPref.Orchestration.Workflow.InvalidInputException: " + Message));

    [Fact]
    public void The_local_hosts_bare_message_is_kept_as_it_is() =>
        Assert.Equal(Message, FailureText.Clean(Message));

    [Fact]
    public void A_system_exception_prefix_is_removed_too() =>
        Assert.Equal("No pair was written: 2 of 2 items failed.",
            FailureText.Clean("System.InvalidOperationException: No pair was written: 2 of 2 items failed."));

    [Theory]
    [InlineData("Judge error: the model refused")] // a word ending in "error" without a namespace is the message itself
    [InlineData("Input 'x' failed: System.IO.IOException: disk")] // only a leading prefix is a type name
    public void Text_that_only_looks_like_a_type_is_left_alone(string message) =>
        Assert.Equal(message, FailureText.Clean(message));
}
