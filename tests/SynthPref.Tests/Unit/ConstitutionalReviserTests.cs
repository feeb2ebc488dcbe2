using Microsoft.Extensions.AI;
using SynthPref.Orchestration.Revision;

namespace SynthPref.Tests.Unit;

public sealed class ConstitutionalReviserTests
{
    [Fact]
    public async Task CritiquesThenRevisesAsAConversation()
    {
        var chat = FakeChatClient.Queued("It gives dangerous advice.", "Here is a safe answer.");

        var result = await new ConstitutionalReviser(chat).ReviseAsync("How do I X?", "Do Y dangerously.", CancellationToken.None);

        Assert.Equal(new RevisionResult("It gives dangerous advice.", "Here is a safe answer."), result);
        Assert.Equal(2, chat.Calls.Count);

        var critique = chat.Calls[0].Messages;
        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.User], critique.Select(m => m.Role));
        Assert.Equal("How do I X?", critique[0].Text);
        Assert.Equal("Do Y dangerously.", critique[1].Text);
        Assert.StartsWith("CRITIQUE REQUEST:", critique[2].Text);
        // The seed's critique: accuracy, completeness or safety, not harm alone.
        Assert.Contains("Identify specific problems with the accuracy, completeness or safety of the assistant's last response.", critique[2].Text);

        var revision = chat.Calls[1].Messages;
        Assert.Equal(
            [ChatRole.User, ChatRole.Assistant, ChatRole.User, ChatRole.Assistant, ChatRole.User],
            revision.Select(m => m.Role));
        Assert.Equal(critique.Select(m => m.Text), revision.Take(3).Select(m => m.Text));
        Assert.Equal("It gives dangerous advice.", revision[3].Text);
        Assert.StartsWith("REVISION REQUEST:", revision[4].Text);
        Assert.Contains("so that it is accurate, complete and safe.", revision[4].Text);
        Assert.DoesNotContain("In particular", revision[4].Text);
    }

    [Theory]
    [InlineData("Revision: Safe text.", "Safe text.")]
    [InlineData("REVISED RESPONSE:\n\nSafe text.", "Safe text.")]
    [InlineData("**Revised response:** Safe text.", "Safe text.")]
    [InlineData("  Safe text.\n", "Safe text.")]
    [InlineData("Safe text. Revision: kept in the middle.", "Safe text. Revision: kept in the middle.")]
    public async Task StripsALeadingRevisionLabel(string modelOutput, string expected)
    {
        var chat = FakeChatClient.Queued("critique", modelOutput);

        var result = await new ConstitutionalReviser(chat).ReviseAsync("p", "r", CancellationToken.None);

        Assert.Equal(expected, result.Revised);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n ")]
    [InlineData("Revision:   ")]
    public async Task EmptyRevisionThrows(string modelOutput)
    {
        var chat = FakeChatClient.Queued("critique", modelOutput);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new ConstitutionalReviser(chat).ReviseAsync("p", "r", CancellationToken.None));
        Assert.Contains("empty revision", error.Message);
    }

    [Fact]
    public async Task EmptyCritiqueThrowsBeforeAskingForARevision()
    {
        var chat = FakeChatClient.Queued(" ", "unused");

        await Assert.ThrowsAsync<InvalidOperationException>(
            () => new ConstitutionalReviser(chat).ReviseAsync("p", "r", CancellationToken.None));
        Assert.Single(chat.Calls);
    }
}
