using System.Buffers;
using System.Text.Json;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Runs;

namespace SynthPref.Orchestration.Api;

/// <summary>A run request's fields other than its items, which went to the <see cref="InlineInput"/> as they came.</summary>
/// <summary>Options: the request's options object as given; <see cref="RunOptionsParser"/> reads it.</summary>
public sealed record StartRunBody(string? Name, string? InputBlob, JsonElement? Options, bool HasItems, IReadOnlyList<FieldError> Errors);

/// <summary>The body is not a run request at all (not JSON, not an object, a field of the wrong kind).</summary>
public sealed class RequestBodyException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>
/// Reads <c>{"name", "items": [...], "inputBlob", "options"}</c> from the request stream with a
/// <see cref="Utf8JsonReader"/>, handing each element of <c>items</c> to the <see cref="InlineInput"/> as soon as its last
/// byte has arrived. The buffer holds the element being read and no more, so a body of 20,000 items costs about as
/// much memory as a body of one; an element longer than Input:MaxLineBytes ends the request. Property names match
/// case-insensitively, as the web defaults of System.Text.Json do; unknown properties are skipped.
/// </summary>
public static class StartRunBodyReader
{
    /// <summary>The most any field other than items may hold (options, name, inputBlob).</summary>
    public const int MaxFieldBytes = 64 * 1024;

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    enum Expect { Root, Property, Value, ItemsValue, Element, Done }

    enum Field { Other, Items, Name, InputBlob, Options }

    enum Step { NeedMore, Item, Done }

    sealed class State
    {
        public Expect Expect = Expect.Root;
        public Field Field;
        public string? Name, InputBlob;
        public JsonElement? Options;
        public bool HasItems;
        public readonly List<FieldError> Errors = [];
    }

    public static async Task<StartRunBody> ReadAsync(Stream body, InlineInput items, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var state = new State();
        var reader = new JsonReaderState(new JsonReaderOptions { MaxDepth = 64 });
        int start = 0, end = 0;
        var final = false;
        try
        {
            while (true)
            {
                var step = Advance(buffer.AsSpan(start, end - start), final, ref reader, state, out var consumed, out var itemStart, out var itemLength);
                if (step == Step.Item)
                {
                    await items.AddAsync(buffer.AsMemory(start + itemStart, itemLength), ct);
                    start += consumed;
                    continue;
                }
                start += consumed;
                if (step == Step.Done) break;
                start = SkipWhitespace(buffer, start, end);
                if (final)
                    throw new RequestBodyException("body", "The request body ended before its JSON did.");

                // More bytes are needed: keep what is pending at the front, and grow only for a value longer than the buffer.
                var pending = end - start;
                var cap = (state.Expect == Expect.Element ? items.MaxItemBytes : MaxFieldBytes) + 1024L;
                if (pending > cap)
                {
                    if (state.Expect == Expect.Element) throw items.TooLong(items.Count + 1);
                    throw new RequestBodyException(FieldName(state.Field), $"'{FieldName(state.Field)}' is longer than {MaxFieldBytes} bytes.");
                }
                if (pending == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length * 2L, cap + 1));
                    Buffer.BlockCopy(buffer, start, larger, 0, pending);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                else if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, pending);
                }
                start = 0;
                end = pending;
                var read = await body.ReadAsync(buffer.AsMemory(end), ct);
                if (read == 0) final = true;
                end += read;
            }
        }
        catch (JsonException e)
        {
            if (final)
                throw new RequestBodyException("body", $"The request body ended before its JSON did: {e.Message}");
            var inItem = state.Expect == Expect.Element;
            throw new RequestBodyException(inItem ? $"line {items.Count + 1}.{InputValidator.LineField}" : "body",
                $"{(inItem ? $"Item {items.Count + 1} of 'items'" : "The request body")} is not valid JSON: {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return new StartRunBody(state.Name, state.InputBlob, state.Options, state.HasItems, state.Errors);
    }

    /// <summary>
    /// Drops whitespace between tokens, and between a separator (',' or ':') and the token after it, by moving the
    /// separator up to that token. The reader commits nothing on a Read that runs out of bytes, so a body padded with
    /// megabytes of whitespace would otherwise pile up in the buffer.
    /// </summary>
    static int SkipWhitespace(byte[] buffer, int start, int end)
    {
        while (start < end && IsWhitespace(buffer[start])) start++;
        if (start == end || buffer[start] is not ((byte)',' or (byte)':')) return start;
        var next = start + 1;
        while (next < end && IsWhitespace(buffer[next])) next++;
        buffer[next - 1] = buffer[start];
        return next - 1;
    }

    static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    /// <summary>
    /// Reads as far as the bytes at hand allow. Progress is committed a whole step at a time (a property name, a whole
    /// value, a whole element), so when the bytes run out mid-step the caller reads more and this resumes from the
    /// last committed position and reader state.
    /// </summary>
    static Step Advance(ReadOnlySpan<byte> data, bool final, ref JsonReaderState readerState, State state,
        out int consumed, out int itemStart, out int itemLength)
    {
        var reader = new Utf8JsonReader(data, final, readerState);
        consumed = 0;
        itemStart = itemLength = 0;
        while (true)
        {
            switch (state.Expect)
            {
                case Expect.Root:
                    if (!reader.Read()) return Step.NeedMore;
                    if (reader.TokenType != JsonTokenType.StartObject)
                        throw new RequestBodyException("body", $"The request body must be a JSON object, not {Describe(reader.TokenType)}.");
                    state.Expect = Expect.Property;
                    break;

                case Expect.Property:
                    if (!reader.Read()) return Step.NeedMore;
                    if (reader.TokenType == JsonTokenType.EndObject)
                    {
                        state.Expect = Expect.Done;
                        Commit(ref reader, ref readerState, out consumed);
                        return Step.Done;
                    }
                    state.Field = NameOf(ref reader);
                    state.Expect = state.Field == Field.Items ? Expect.ItemsValue : Expect.Value;
                    break;

                case Expect.Value:
                {
                    if (!reader.Read()) return Step.NeedMore;
                    var from = (int)reader.TokenStartIndex;
                    if (!reader.TrySkip()) return Step.NeedMore;
                    if (reader.BytesConsumed - from > MaxFieldBytes)
                        throw new RequestBodyException(FieldName(state.Field), $"'{FieldName(state.Field)}' is longer than {MaxFieldBytes} bytes.");
                    SetField(state, data[from..(int)reader.BytesConsumed]);
                    state.Expect = Expect.Property;
                    break;
                }

                case Expect.ItemsValue:
                {
                    if (!reader.Read()) return Step.NeedMore;
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        if (state.HasItems) throw new RequestBodyException("items", "'items' is given twice.");
                        state.HasItems = true;
                        state.Expect = Expect.Element;
                        break;
                    }
                    if (reader.TokenType != JsonTokenType.Null)
                        throw new RequestBodyException("items", $"'items' must be a JSON array of items, not {Describe(reader.TokenType)}.");
                    state.Expect = Expect.Property;
                    break;
                }

                case Expect.Element:
                {
                    if (!reader.Read()) return Step.NeedMore;
                    if (reader.TokenType == JsonTokenType.EndArray)
                    {
                        state.Expect = Expect.Property;
                        break;
                    }
                    var from = (int)reader.TokenStartIndex;
                    if (!reader.TrySkip()) return Step.NeedMore;
                    itemStart = from;
                    itemLength = (int)reader.BytesConsumed - from;
                    Commit(ref reader, ref readerState, out consumed);
                    return Step.Item;
                }

                default:
                    return Step.Done;
            }
            Commit(ref reader, ref readerState, out consumed);
        }
    }

    static void Commit(ref Utf8JsonReader reader, ref JsonReaderState state, out int consumed)
    {
        consumed = (int)reader.BytesConsumed;
        state = reader.CurrentState;
    }

    static Field NameOf(ref Utf8JsonReader reader)
    {
        string name;
        try
        {
            name = reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return Field.Other; // not valid text, so not one of ours
        }
        return name.ToLowerInvariant() switch
        {
            "items" => Field.Items,
            "name" => Field.Name,
            "inputblob" => Field.InputBlob,
            "options" => Field.Options,
            _ => Field.Other,
        };
    }

    static void SetField(State state, ReadOnlySpan<byte> value)
    {
        switch (state.Field)
        {
            case Field.Name:
                state.Name = Text(state, "name", value);
                break;
            case Field.InputBlob:
                state.InputBlob = Text(state, "inputBlob", value);
                break;
            case Field.Options:
                using (var options = JsonDocument.Parse(value.ToArray()))
                    state.Options = options.RootElement.Clone();
                break;
        }
    }

    static string? Text(State state, string field, ReadOnlySpan<byte> value)
    {
        var reader = new Utf8JsonReader(value);
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.String)
        {
            state.Errors.Add(new FieldError(field, $"must be a string, not {Describe(reader.TokenType)}."));
            return null;
        }
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            state.Errors.Add(new FieldError(field, InputValidator.DescribeBadText(reader.ValueSpan)));
            return null;
        }
    }

    static string FieldName(Field field) => field switch
    {
        Field.Name => "name",
        Field.InputBlob => "inputBlob",
        Field.Options => "options",
        Field.Items => "items",
        _ => "body",
    };

    static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "nothing",
    };
}
