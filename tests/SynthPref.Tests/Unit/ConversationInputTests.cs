using System.Text;
using System.Text.Json;
using SynthPref.Orchestration.Input;

namespace SynthPref.Tests.Unit;

/// <summary>Conversation items (issue 16): the shapes the validator takes, every bad shape named by line and field, and
/// the run's own copy written back so it reads into the same item.</summary>
public sealed class ConversationInputTests
{
    static (InputItem? Item, List<InputError> Errors) Validate(string json, int line = 7)
    {
        var errors = new List<InputError>();
        using var document = JsonDocument.Parse(json);
        var item = new InputValidator(critiqueRevise: true).Validate(document.RootElement, line, 0, errors);
        return (item, errors);
    }

    static InputError Single(string json)
    {
        var (item, errors) = Validate(json);
        Assert.Null(item);
        var error = Assert.Single(errors);
        Assert.Equal(7, error.Line);
        return error;
    }

    const string ThreeTurnsA = """[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"},{"role":"assistant","content":"4"},{"role":"user","content":"And times 3?"},{"role":"assistant","content":"12"}]""";
    const string ThreeTurnsB = """[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"},{"role":"assistant","content":"Four."},{"role":"user","content":"And times 3?"},{"role":"assistant","content":"It is 13."}]""";

    [Fact]
    public void Two_conversations_become_each_sides_context_and_final_turn()
    {
        var (item, errors) = Validate($$"""{"id":"c1","category":"math","conversation_a":{{ThreeTurnsA}},"conversation_b":{{ThreeTurnsB}},"model_a":"x","model_b":"y"}""");
        Assert.Empty(errors);
        Assert.NotNull(item);
        Assert.Equal("And times 3?", item.Prompt);
        Assert.Equal(("12", "It is 13."), (item.ResponseA, item.ResponseB));
        var conversation = item.Conversation!;
        Assert.False(conversation.IsShared);
        Assert.Equal(["system", "user", "assistant", "user"], conversation.ContextA.Select(t => t.Role));
        Assert.Equal("4", conversation.ContextA[2].Content);
        Assert.Equal("Four.", conversation.ContextB[2].Content);
        Assert.True(item.HasBothResponses);
    }

    [Fact]
    public void Messages_with_two_responses_share_their_context_and_messages_alone_need_generation()
    {
        var (item, errors) = Validate("""{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"},{"role":"user","content":"Tell me a joke"}],"response_a":"A joke.","response_b":"Another joke.","reference":"Any joke"}""");
        Assert.Empty(errors);
        Assert.True(item!.Conversation!.IsShared);
        Assert.Equal("Tell me a joke", item.Prompt);
        Assert.Equal("Any joke", item.Reference);
        Assert.Equal(3, item.Conversation.ContextB.Count);

        var (alone, none) = Validate("""{"messages":[{"role":"user","content":"Hi"}]}""");
        Assert.Empty(none);
        Assert.True(alone!.NeedsGeneration);
        Assert.Equal("Hi", alone.Prompt);
    }

    [Fact]
    public void Conversations_that_differ_only_in_the_final_turn_are_a_shared_context()
    {
        var (item, errors) = Validate("""{"conversation_a":[{"role":"user","content":"Q"},{"role":"assistant","content":"a"}],"conversation_b":[{"role":"user","content":"Q"},{"role":"assistant","content":"b"}]}""");
        Assert.Empty(errors);
        Assert.True(item!.Conversation!.IsShared);
    }

    [Theory]
    [InlineData("""{"conversation_a":[],"conversation_b":[{"role":"user","content":"Q"},{"role":"assistant","content":"b"}]}""",
        "conversation_a", "conversation_a is empty; it needs at least a user message and the assistant's answer")]
    [InlineData("""{"conversation_a":[{"role":"user","content":"Q"},{"role":"assistant","content":"a"}],"conversation_b":[{"role":"user","content":"Q"}]}""",
        "conversation_b", "conversation_b must end with an assistant message, the turn that is judged; it ends with a user message")]
    [InlineData("""{"conversation_a":[{"role":"user","content":"Q"},{"role":"bot","content":"a"}],"conversation_b":[{"role":"user","content":"Q"},{"role":"assistant","content":"b"}]}""",
        "conversation_a[1].role", "unknown role 'bot'; expected system, user or assistant")]
    [InlineData("""{"conversation_a":[{"role":"user","content":"Q"},{"role":"assistant","content":"a"}],"conversation_b":[{"role":"user","content":"Other Q"},{"role":"assistant","content":"b"}]}""",
        "conversation_b[0].content", "user turn 1 differs from conversation_a's (conversation_a[0]); the user turns of the two conversations must match")]
    [InlineData("""{"conversation_a":[{"role":"user","content":"Q"},{"role":"assistant","content":"a"}],"conversation_b":[{"role":"user","content":"Q"},{"role":"assistant","content":"b"},{"role":"user","content":"more"},{"role":"assistant","content":"c"}]}""",
        "conversation_b", "conversation_b has 2 user message(s) and conversation_a has 1; the user turns of the two conversations must match")]
    [InlineData("""{"conversation_a":[{"role":"user","content":"Q"},{"role":"assistant","content":"a"}]}""",
        "conversation_b", "conversation_b is required with conversation_a")]
    [InlineData("""{"prompt":"P","conversation_a":[{"role":"user","content":"Q"},{"role":"assistant","content":"a"}],"conversation_b":[{"role":"user","content":"Q"},{"role":"assistant","content":"b"}]}""",
        "prompt", "prompt is not used with conversation_a and conversation_b: the prompt is their last user message and the judged responses are their final assistant turns")]
    [InlineData("""{"conversation_a":[{"role":"system","content":"S"},{"role":"assistant","content":"a"}],"conversation_b":[{"role":"user","content":"S"},{"role":"assistant","content":"b"}]}""",
        "conversation_a", "conversation_a has no user message; the judged answer must reply to one")]
    [InlineData("""{"conversation_a":[{"role":"user"},{"role":"assistant","content":"a"}],"conversation_b":[{"role":"user","content":"Q"},{"role":"assistant","content":"b"}]}""",
        "conversation_a[0].content", "content is required")]
    [InlineData("""{"conversation_a":[{"role":"user","content":"Q"},"a"],"conversation_b":[{"role":"user","content":"Q"},{"role":"assistant","content":"b"}]}""",
        "conversation_a[1]", "expected a {role, content} object but found a string")]
    [InlineData("""{"conversation_a":{"role":"user"},"conversation_b":[{"role":"user","content":"Q"},{"role":"assistant","content":"b"}]}""",
        "conversation_a", "expected an array of {role, content} messages but found an object")]
    [InlineData("""{"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"a"}],"response_a":"x","response_b":"y"}""",
        "messages", "messages must end with a user message, the one response_a and response_b answer; it ends with an assistant message")]
    [InlineData("""{"messages":[]}""", "messages", "messages is empty; it needs at least a user message")]
    [InlineData("""{"prompt":"P","messages":[{"role":"user","content":"Q"}]}""", "prompt", "prompt is not used with messages: the prompt is the last user message")]
    [InlineData("""{"prompt":"P","reference":" "}""", "reference", "reference must not be empty; omit it when the item has none")]
    [InlineData("""{"messages":[{"role":7,"content":"Q"}]}""", "messages[0].role", "expected a string but found the number 7")]
    public void Each_bad_shape_is_named_by_line_and_field(string json, string field, string message)
    {
        var error = Single(json);
        Assert.Equal((field, message), (error.Field, error.Message));
    }

    [Fact]
    public void Message_count_and_text_size_have_their_own_limits()
    {
        var many = string.Join(",", Enumerable.Repeat("""{"role":"user","content":"Q"}""", InputLimits.MaxMessages + 1));
        var error = Single($$"""{"messages":[{{many}}]}""");
        Assert.Equal(("messages", $"messages has {InputLimits.MaxMessages + 1} messages; the limit is {InputLimits.MaxMessages}"), (error.Field, error.Message));

        var big = new string('x', InputLimits.MaxTextChars / 2);
        var size = Single($$"""{"messages":[{"role":"user","content":"{{big}}"},{"role":"assistant","content":"{{big}}"},{"role":"user","content":"Q"}],"response_a":"a","response_b":"b"}""");
        Assert.Equal(InputValidator.LineField, size.Field);
        Assert.StartsWith($"a pair of this item would hold {InputLimits.MaxTextChars + 1 + 1 + 1 + 1} characters of text (every message of its conversation", size.Message);
    }

    [Fact]
    public void The_runs_copy_reads_back_into_the_same_item()
    {
        foreach (var json in new[]
        {
            $$"""{"id":"c1","category":"math","conversation_a":{{ThreeTurnsA}},"conversation_b":{{ThreeTurnsB}},"reference":"12"}""",
            """{"id":"m1","messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"},{"role":"user","content":"Joke?"}],"response_a":"a","response_b":"b"}""",
            """{"id":"m2","messages":[{"role":"user","content":"Hi"}]}""",
            """{"id":"s1","prompt":"P","response_a":"a","response_b":"b"}""",
        })
        {
            var (item, errors) = Validate(json);
            Assert.Empty(errors);
            using var buffer = new MemoryStream();
            InputJsonl.WriteItem(item!, buffer);
            var (again, more) = Validate(Encoding.UTF8.GetString(buffer.ToArray()).TrimEnd('\n'));
            Assert.Empty(more);
            Assert.Equal(item, again);
        }
    }
}
