using System.Text.Json;

namespace SynthPref.Orchestration.Input;

/// <summary>One message of a dialogue, in the chat-log shape arena battles and chat products keep: a role
/// (<c>system</c>, <c>user</c> or <c>assistant</c>) and its text.</summary>
public sealed record ChatTurn(string Role, string Content)
{
    public const string System = "system";
    public const string User = "user";
    public const string Assistant = "assistant";

    public static readonly IReadOnlyList<string> Roles = [System, User, Assistant];

    /// <summary>Turns as a JSON list of {role, content} messages (the input's shape and TRL's conversational one),
    /// ending with <paramref name="finalAnswer"/> as the assistant's turn when given.</summary>
    public static void WriteList(Utf8JsonWriter writer, string name, IReadOnlyList<ChatTurn> turns, string? finalAnswer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(turns);
        writer.WriteStartArray(name);
        foreach (var turn in turns)
            WriteOne(writer, turn.Role, turn.Content);
        if (finalAnswer is not null)
            WriteOne(writer, Assistant, finalAnswer);
        writer.WriteEndArray();
    }

    static void WriteOne(Utf8JsonWriter writer, string role, string content)
    {
        writer.WriteStartObject();
        writer.WriteString("role", role);
        writer.WriteString("content", content);
        writer.WriteEndObject();
    }
}

/// <summary>
/// What came before each side's judged answer in a conversation item: side A's turns and side B's, each ending with
/// the user message the judged answer replies to. From <c>messages</c> both sides are the same list; from
/// <c>conversation_a</c>/<c>conversation_b</c> they are each conversation without its final assistant turn, and their
/// earlier assistant turns may differ (each model answered the earlier turns itself). A single-turn item has none.
/// </summary>
public sealed record Conversation(IReadOnlyList<ChatTurn> ContextA, IReadOnlyList<ChatTurn> ContextB)
{
    public static Conversation Shared(IReadOnlyList<ChatTurn> context) => new(context, context);

    /// <summary>Everything but the judged answers is common to both sides: TRL's explicit-prompt form applies.</summary>
    public bool IsShared => ReferenceEquals(ContextA, ContextB) || ContextA.SequenceEqual(ContextB);

    /// <summary>The user message both judged answers reply to.</summary>
    public string LastUserMessage => ContextA.Last(t => t.Role == ChatTurn.User).Content;

    /// <summary>The judged pair the other way round (B's side shown first).</summary>
    public Conversation Swapped() => new(ContextB, ContextA);

    /// <summary>Text characters of the contexts, each side counted once when they are shared.</summary>
    public long TextChars => Chars(ContextA) + (IsShared ? 0 : Chars(ContextB));

    static long Chars(IReadOnlyList<ChatTurn> turns) => turns.Sum(t => (long)t.Content.Length);

    // Lists compare by reference in records; a conversation is its turns.
    public bool Equals(Conversation? other) =>
        other is not null && ContextA.SequenceEqual(other.ContextA) && ContextB.SequenceEqual(other.ContextB);

    public override int GetHashCode() => HashCode.Combine(ContextA.Count, ContextB.Count, ContextA.Count > 0 ? ContextA[^1] : null);
}
