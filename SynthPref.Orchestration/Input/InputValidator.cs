using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;

namespace SynthPref.Orchestration.Input;

/// <summary>
/// Turns one input object into an <see cref="InputItem"/>, naming every problem with its line and field so a user
/// can fix a file in one pass. Keeps the ids seen so far, so one validator checks one input for duplicates. With
/// <paramref name="rejectEmptyResponses"/> (the run option), a response that is empty or only white space, or two
/// identical responses, are errors too (<see cref="EmptyResponseErrors"/>).
/// </summary>
public sealed partial class InputValidator(bool critiqueRevise, string defaultIdSource = "the line number", bool rejectEmptyResponses = false)
{
    public const string LineField = "(line)";

    readonly Dictionary<string, int> firstLineById = new(StringComparer.Ordinal);

    /// <summary>The item, or null with its problems added to <paramref name="errors"/>.</summary>
    public InputItem? Validate(JsonElement element, int line, int index, List<InputError> errors, bool checkDuplicateIds = true)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new InputError(line, LineField, $"expected a JSON object but found {Describe(element.ValueKind)}"));
            return null;
        }

        var errorsBefore = errors.Count;
        var id = ReadId(element, line, errors);
        var prompt = ReadString(element, "prompt", line, errors);
        var conversationA = ReadTurns(element, ConversationAField, line, errors);
        var conversationB = ReadTurns(element, ConversationBField, line, errors);
        var messages = ReadTurns(element, MessagesField, line, errors);
        var reference = ReadString(element, "reference", line, errors);
        var category = ReadString(element, "category", line, errors);
        var responseA = ReadString(element, "response_a", line, errors);
        var responseB = ReadString(element, "response_b", line, errors);
        var modelA = ReadString(element, "model_a", line, errors);
        var modelB = ReadString(element, "model_b", line, errors);

        if (!string.IsNullOrWhiteSpace(category))
            CheckLength(category, "category", InputLimits.MaxCategoryChars, line, errors);
        CheckLength(modelA, "model_a", InputLimits.MaxModelChars, line, errors);
        CheckLength(modelB, "model_b", InputLimits.MaxModelChars, line, errors);

        if (reference is not null && string.IsNullOrWhiteSpace(reference))
            errors.Add(new InputError(line, "reference", "reference must not be empty; omit it when the item has none"));

        Conversation? conversation = null;
        var isConversation = conversationA is not null || conversationB is not null
            || HasField(element, ConversationAField) || HasField(element, ConversationBField);
        if (isConversation)
        {
            // The judged turns are the conversations' last; the prompt is the user message they answer.
            foreach (var field in new[] { "prompt", "response_a", "response_b", MessagesField })
                if (HasField(element, field))
                    errors.Add(new InputError(line, field,
                        $"{field} is not used with conversation_a and conversation_b: the prompt is their last user message and the judged responses are their final assistant turns"));
            if (!HasField(element, ConversationAField))
                errors.Add(new InputError(line, ConversationAField, "conversation_a is required with conversation_b"));
            if (!HasField(element, ConversationBField))
                errors.Add(new InputError(line, ConversationBField, "conversation_b is required with conversation_a"));
            var aValid = conversationA is not null && CheckConversation(conversationA, ConversationAField, ChatTurn.Assistant, line, errors);
            var bValid = conversationB is not null && CheckConversation(conversationB, ConversationBField, ChatTurn.Assistant, line, errors);
            if (aValid && bValid && CheckSameUserTurns(conversationA!, conversationB!, line, errors))
            {
                conversation = new Conversation(conversationA![..^1], conversationB![..^1]);
                if (conversation.IsShared) conversation = Conversation.Shared(conversation.ContextA);
                prompt = conversation.LastUserMessage;
                responseA = conversationA[^1].Content;
                responseB = conversationB![^1].Content;
            }
        }
        else if (messages is not null || HasField(element, MessagesField))
        {
            if (HasField(element, "prompt"))
                errors.Add(new InputError(line, "prompt", "prompt is not used with messages: the prompt is the last user message"));
            if (messages is not null && CheckConversation(messages, MessagesField, ChatTurn.User, line, errors))
            {
                conversation = Conversation.Shared(messages);
                prompt = conversation.LastUserMessage;
            }
        }
        else if (string.IsNullOrWhiteSpace(prompt) && !FieldHasError(errors, errorsBefore, "prompt"))
            errors.Add(new InputError(line, "prompt", prompt is null ? "prompt is required" : "prompt must not be empty"));

        if (responseB is not null && responseA is null && !FieldHasError(errors, errorsBefore, "response_a"))
            errors.Add(new InputError(line, "response_b", "response_b is given without response_a; put a single response in response_a"));

        // An item with response_a alone only yields a critique-revise pair, so without critique-revise it yields nothing.
        if (!critiqueRevise && responseA is not null && responseB is null && !FieldHasError(errors, errorsBefore, "response_b"))
            errors.Add(ReviseOnlyWithoutCritique(line));

        var pairChars = PairTextChars(prompt, responseA, responseB) + (reference?.Length ?? 0);
        if (conversation is not null)
        {
            pairChars += conversation.TextChars;
            if (pairChars > InputLimits.MaxTextChars)
                errors.Add(new InputError(line, LineField,
                    $"a pair of this item would hold {pairChars} characters of text (every message of its conversation, the judged responses, " +
                    $"a revision of response_a and the reference); the limit is {InputLimits.MaxTextChars} because pairs are stored as Table Storage entities (1 MB each)"));
        }
        else if (pairChars > InputLimits.MaxTextChars)
        {
            errors.Add(new InputError(line, LineField,
                $"a pair of this item would hold {pairChars} characters of text (the prompt, response_a, and the longer of response_b " +
                $"and a revision of response_a); the limit is {InputLimits.MaxTextChars} because pairs are stored as Table Storage entities (1 MB each)"));
        }

        if (id is not null && checkDuplicateIds)
        {
            if (firstLineById.TryGetValue(id, out var firstLine))
            {
                errors.Add(new InputError(line, "id", HasIdField(element)
                    ? $"duplicate id '{id}', first used on line {firstLine}"
                    : $"line {line} has no id, and its default id '{id}' ({defaultIdSource}) is already used by line {firstLine}; give it an explicit id"));
            }
            else
            {
                firstLineById[id] = line;
            }
        }

        if (rejectEmptyResponses && errors.Count == errorsBefore)
            errors.AddRange(EmptyResponseErrors(line, responseA, responseB));

        if (errors.Count != errorsBefore)
            return null;
        return new InputItem(index, id!, prompt!, string.IsNullOrWhiteSpace(category) ? InputLimits.DefaultCategory : category,
            responseA, responseB, modelA, modelB, line, conversation, reference);
    }

    public const string ConversationAField = "conversation_a";
    public const string ConversationBField = "conversation_b";
    public const string MessagesField = "messages";

    static bool HasField(JsonElement item, string field) =>
        item.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>A list of {role, content} messages, each problem named by its place (<c>messages[2].role</c>); null when
    /// the field is absent or any message is bad.</summary>
    static List<ChatTurn>? ReadTurns(JsonElement item, string field, int line, List<InputError> errors)
    {
        if (!item.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new InputError(line, field, $"expected an array of {{role, content}} messages but found {Describe(value)}"));
            return null;
        }
        var count = value.GetArrayLength();
        if (count > InputLimits.MaxMessages)
        {
            errors.Add(new InputError(line, field, $"{field} has {count} messages; the limit is {InputLimits.MaxMessages}"));
            return null;
        }
        var turns = new List<ChatTurn>(count);
        var valid = true;
        var position = 0;
        foreach (var message in value.EnumerateArray())
        {
            var at = $"{field}[{position++}]";
            if (message.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new InputError(line, at, $"expected a {{role, content}} object but found {Describe(message)}"));
                valid = false;
                continue;
            }
            var before = errors.Count;
            var role = ReadString(message, "role", line, errors, at + ".role");
            if (role is null && errors.Count == before)
                errors.Add(new InputError(line, at + ".role", "role is required (system, user or assistant)"));
            else if (role is not null && !ChatTurn.Roles.Contains(role, StringComparer.Ordinal))
            {
                errors.Add(new InputError(line, at + ".role", $"unknown role '{Shorten(role)}'; expected system, user or assistant"));
                role = null;
            }
            before = errors.Count;
            var content = ReadString(message, "content", line, errors, at + ".content");
            if (content is null && errors.Count == before)
                errors.Add(new InputError(line, at + ".content", "content is required"));
            if (role is null || content is null)
            {
                valid = false;
                continue;
            }
            turns.Add(new ChatTurn(role, content));
        }
        return valid ? turns : null;
    }

    static string Article(string role) => role == ChatTurn.Assistant ? "an" : "a";

    static string Shorten(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");

    /// <summary>Not empty, with a user message, and ending as the shape requires: a conversation with the assistant
    /// turn that is judged, <c>messages</c> with the user message both responses answer.</summary>
    static bool CheckConversation(List<ChatTurn> turns, string field, string lastRole, int line, List<InputError> errors)
    {
        if (turns.Count == 0)
        {
            errors.Add(new InputError(line, field, $"{field} is empty; it needs at least a user message{(lastRole == ChatTurn.Assistant ? " and the assistant's answer" : "")}"));
            return false;
        }
        if (turns[^1].Role != lastRole)
        {
            errors.Add(new InputError(line, field, lastRole == ChatTurn.Assistant
                ? $"{field} must end with an assistant message, the turn that is judged; it ends with {Article(turns[^1].Role)} {turns[^1].Role} message"
                : $"{field} must end with a user message, the one response_a and response_b answer; it ends with {Article(turns[^1].Role)} {turns[^1].Role} message"));
            return false;
        }
        if (!turns.Any(t => t.Role == ChatTurn.User))
        {
            errors.Add(new InputError(line, field, $"{field} has no user message; the judged answer must reply to one"));
            return false;
        }
        return true;
    }

    /// <summary>Both sides answered the same user: their user turns, in order, must be the same texts.</summary>
    static bool CheckSameUserTurns(List<ChatTurn> a, List<ChatTurn> b, int line, List<InputError> errors)
    {
        var usersA = a.Select((t, i) => (t, i)).Where(x => x.t.Role == ChatTurn.User).ToList();
        var usersB = b.Select((t, i) => (t, i)).Where(x => x.t.Role == ChatTurn.User).ToList();
        if (usersA.Count != usersB.Count)
        {
            errors.Add(new InputError(line, ConversationBField,
                $"conversation_b has {usersB.Count} user message(s) and conversation_a has {usersA.Count}; the user turns of the two conversations must match"));
            return false;
        }
        for (var k = 0; k < usersA.Count; k++)
        {
            if (usersA[k].t.Content == usersB[k].t.Content) continue;
            errors.Add(new InputError(line, $"{ConversationBField}[{usersB[k].i}].content",
                $"user turn {k + 1} differs from conversation_a's (conversation_a[{usersA[k].i}]); the user turns of the two conversations must match"));
            return false;
        }
        return true;
    }

    /// <summary>What rejectEmptyResponses refuses in one item, each naming its field: a response given but empty or only
    /// white space, and a response_b identical to response_a (ordinal). Without the option such pairs are judged and
    /// reviewed, and left out of the dataset (<c>PreferencePair.DatasetExclusion</c>).</summary>
    public static IEnumerable<InputError> EmptyResponseErrors(int line, string? responseA, string? responseB)
    {
        const string Why = "(rejectEmptyResponses is on; without it such a pair is judged but never written to the dataset)";
        if (responseA is not null && string.IsNullOrWhiteSpace(responseA))
            yield return new InputError(line, "response_a", $"response_a is {EmptyKind(responseA)} {Why}");
        if (responseB is not null && string.IsNullOrWhiteSpace(responseB))
            yield return new InputError(line, "response_b", $"response_b is {EmptyKind(responseB)} {Why}");
        else if (responseA is not null && responseB is not null && !string.IsNullOrWhiteSpace(responseA)
                 && string.Equals(responseA, responseB, StringComparison.Ordinal))
            yield return new InputError(line, "response_b", $"response_b is identical to response_a {Why}");
    }

    static string EmptyKind(string text) => text.Length == 0 ? "empty" : "only white space";

    /// <summary>An item with response_a alone, in a run without critique-revise. Inline input can give its options after its
    /// items, so a streaming reader validates with critique-revise on and adds this error for such items at the end.</summary>
    public static InputError ReviseOnlyWithoutCritique(int line) => new(line, "response_b",
        "required when critiqueRevise is false: an item with only response_a yields no pair without critique-revise");

    // Each pair is its own entity with the prompt and two texts: response_a and response_b (judge pair), or a revision of
    // response_a and response_a itself (revision pair; the revision is assumed about as long as response_a).
    static long PairTextChars(string? prompt, string? responseA, string? responseB) =>
        (long)(prompt?.Length ?? 0) + (responseA?.Length ?? 0) + Math.Max(responseA?.Length ?? 0, responseB?.Length ?? 0);

    static bool CheckLength(string? value, string field, int max, int line, List<InputError> errors)
    {
        if (value is null || value.Length <= max)
            return true;
        errors.Add(new InputError(line, field,
            $"{field} has {value.Length} characters; the limit is {max} because it is stored as a single Table Storage property"));
        return false;
    }

    static bool HasIdField(JsonElement item) =>
        item.TryGetProperty("id", out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>Whether the field already has an error on this line, so a follow-up check would only repeat it.</summary>
    static bool FieldHasError(List<InputError> errors, int errorsBefore, string field)
    {
        for (var i = errorsBefore; i < errors.Count; i++)
            if (errors[i].Field == field)
                return true;
        return false;
    }

    static string? ReadId(JsonElement item, int line, List<InputError> errors)
    {
        if (!item.TryGetProperty("id", out var value) || value.ValueKind == JsonValueKind.Null)
            return line.ToString(CultureInfo.InvariantCulture);

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                if (ReadText(value, "id", line, errors) is not { } text)
                    return null;
                if (string.IsNullOrWhiteSpace(text))
                {
                    errors.Add(new InputError(line, "id", "id must not be empty; omit it to use the line number"));
                    return null;
                }
                return CheckLength(text, "id", InputLimits.MaxIdChars, line, errors) ? text : null;
            case JsonValueKind.Number when IsIntegerLiteral(value.GetRawText()):
                var digits = value.GetRawText();
                return CheckLength(digits, "id", InputLimits.MaxIdChars, line, errors) ? digits : null;
            default:
                errors.Add(new InputError(line, "id", $"expected a string or an integer but found {Describe(value)}"));
                return null;
        }
    }

    // Raw text rather than TryGetInt64 so ids beyond 64 bits survive unchanged; "1.0" and "1e3" are rejected
    // because their text form is not what a user would expect as an id.
    static bool IsIntegerLiteral(string raw)
    {
        var digits = raw.StartsWith('-') ? raw.AsSpan(1) : raw.AsSpan();
        return digits.Length > 0 && !digits.ContainsAnyExcept("0123456789");
    }

    static string? ReadString(JsonElement item, string field, int line, List<InputError> errors, string? name = null)
    {
        if (!item.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(new InputError(line, name ?? field, $"expected a string but found {Describe(value)}"));
            return null;
        }
        return ReadText(value, name ?? field, line, errors);
    }

    /// <summary>
    /// Text is taken only when it is valid Unicode: invalid UTF-8 bytes and lone surrogate escapes are refused here
    /// rather than silently replaced with U+FFFD, which would change what the judge and the dataset see.
    /// </summary>
    static string? ReadText(JsonElement value, string field, int line, List<InputError> errors)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            errors.Add(new InputError(line, field, DescribeBadText(JsonMarshal.GetRawUtf8Value(value))));
            return null;
        }
    }

    /// <summary>Why System.Text.Json would not decode a string: bytes that are not UTF-8, or an escape naming half of a
    /// surrogate pair. Either way the text cannot be stored as it was sent.</summary>
    internal static string DescribeBadText(ReadOnlySpan<byte> raw)
    {
        if (!Utf8.IsValid(raw))
        {
            var valid = 0;
            while (Rune.DecodeFromUtf8(raw[valid..], out _, out var consumed) == OperationStatus.Done) valid += consumed;
            return $"is not valid UTF-8 text (byte 0x{raw[valid]:X2} at byte {valid + 1} of the string)";
        }
        var escape = LoneSurrogateEscape().Match(Encoding.UTF8.GetString(raw));
        return escape.Success
            ? $"holds a lone surrogate escape ({escape.Value}), which is not valid Unicode text"
            : "is not valid Unicode text";
    }

    // A high surrogate not followed by a low one, or a low one on its own.
    [GeneratedRegex(@"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")]
    private static partial Regex LoneSurrogateEscape();

    internal static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        _ => Describe(value.ValueKind),
    };

    internal static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
