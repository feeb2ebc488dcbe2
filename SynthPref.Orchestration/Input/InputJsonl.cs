using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SynthPref.Orchestration.Input;

/// <summary>Writes validated items back as JSONL (the run's own copy of inline input) and lists input errors.</summary>
public static class InputJsonl
{
    static readonly JsonWriterOptions WriterOptions = new()
    {
        // Keeps stored inputs readable (non-ASCII prompts stay as-is); newlines and quotes are still escaped,
        // so one item remains one physical line.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(IEnumerable<InputItem> items, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var item in items)
            WriteItem(item, destination);
    }

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
                WriteTurns(writer, InputValidator.ConversationAField, conversation.ContextA, item.ResponseA);
                WriteTurns(writer, InputValidator.ConversationBField, conversation.ContextB, item.ResponseB);
            }
            else
            {
                if (item.Conversation is { } shared)
                    WriteTurns(writer, InputValidator.MessagesField, shared.ContextA, null);
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

    public static string ToJsonl(IEnumerable<InputItem> items)
    {
        using var buffer = new MemoryStream();
        Write(items, buffer);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>"Input 'x' has N invalid line(s):" and the first <paramref name="max"/> errors, one a line.</summary>
    public static string FormatErrors(IReadOnlyList<InputError> errors, string source, int max = 50, int? totalErrors = null, int? invalidLines = null)
    {
        ArgumentNullException.ThrowIfNull(errors);
        ArgumentOutOfRangeException.ThrowIfNegative(max);

        var lines = invalidLines ?? errors.Select(e => e.Line).Distinct().Count();
        var total = totalErrors ?? errors.Count;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Input '{source}' has {lines} invalid line(s):\n");
        var shown = Math.Min(max, errors.Count);
        for (var i = 0; i < shown; i++)
            text.Append(errors[i].ToString()).Append('\n');
        if (total > shown)
            text.Append(CultureInfo.InvariantCulture, $"... and {total - shown} more\n");
        return text.ToString().TrimEnd('\n');
    }

    static void WriteTurns(Utf8JsonWriter writer, string name, IReadOnlyList<ChatTurn> turns, string? finalAnswer)
    {
        writer.WriteStartArray(name);
        foreach (var turn in turns)
            WriteTurn(writer, turn.Role, turn.Content);
        if (finalAnswer is not null)
            WriteTurn(writer, ChatTurn.Assistant, finalAnswer);
        writer.WriteEndArray();
    }

    static void WriteTurn(Utf8JsonWriter writer, string role, string content)
    {
        writer.WriteStartObject();
        writer.WriteString("role", role);
        writer.WriteString("content", content);
        writer.WriteEndObject();
    }

    static void WriteIfPresent(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
            writer.WriteString(name, value);
    }
}
