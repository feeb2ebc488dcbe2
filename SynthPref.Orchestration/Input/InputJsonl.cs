using System.Text.Encodings.Web;
using System.Text.Json;

namespace SynthPref.Orchestration.Input;

/// <summary>Writes validated items back as JSONL: the run's own copy of inline input.</summary>
public static class InputJsonl
{
    static readonly JsonWriterOptions WriterOptions = new()
    {
        // Keeps stored inputs readable (non-ASCII prompts stay as-is); newlines and quotes are still escaped,
        // so one item remains one physical line.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>One item as one physical line.</summary>
    public static void WriteItem(InputItem item, Stream destination)
    {
        using (var writer = new Utf8JsonWriter(destination, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("id", item.Id);
            if (item.Conversation is null)
                writer.WriteString("prompt", item.Prompt);
            writer.WriteString("category", item.Category);
            // Written back in the shape that reads into the same item: a shared context as messages, else two conversations.
            if (item.Conversation is { IsShared: false } conversation)
            {
                ChatTurn.WriteList(writer, InputValidator.ConversationAField, conversation.ContextA, item.ResponseA);
                ChatTurn.WriteList(writer, InputValidator.ConversationBField, conversation.ContextB, item.ResponseB);
            }
            else
            {
                if (item.Conversation is { } shared)
                    ChatTurn.WriteList(writer, InputValidator.MessagesField, shared.ContextA, null);
                WriteIfPresent(writer, "response_a", item.ResponseA);
                WriteIfPresent(writer, "response_b", item.ResponseB);
            }
            WriteIfPresent(writer, "reference", item.Reference);
            WriteIfPresent(writer, "model_a", item.ModelA);
            WriteIfPresent(writer, "model_b", item.ModelB);
            writer.WriteEndObject();
        }
        destination.WriteByte((byte)'\n');
    }

    static void WriteIfPresent(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
            writer.WriteString(name, value);
    }
}
