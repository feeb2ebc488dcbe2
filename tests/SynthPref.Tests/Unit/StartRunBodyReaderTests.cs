using System.Text;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Tests.Unit;

/// <summary>
/// The streaming run-request reader, fed one byte per read so every token boundary lands on a buffer edge. Items go to
/// a real <see cref="InlineInput"/>; nothing here is committed, so no storage is reached.
/// </summary>
public sealed class StartRunBodyReaderTests
{
    static InlineInput Sink(int maxItems = 1000, int maxLineBytes = 4096) =>
        new(new InputStore(StorageClients.FromConnectionString("UseDevelopmentStorage=true")), "run-unit",
            new InputOptions { MaxItems = maxItems, MaxLineBytes = maxLineBytes });

    static Task<StartRunBody> Read(string json, InlineInput sink) =>
        StartRunBodyReader.ReadAsync(new TrickleStream(Encoding.UTF8.GetBytes(json)), sink, CancellationToken.None);

    [Fact]
    public async Task Fields_come_in_any_order_with_unknown_ones_skipped_and_each_item_validated_by_its_position()
    {
        using var sink = Sink();
        var body = await Read("""
            {  "Items" : [ {"id":"a","prompt":"p1","response_a":"x","response_b":"y"} ,
                           {"id":"b","prompt":"","response_a":"x","response_b":"y"},
                           {"id":"c","prompt":"p3","response_a":"only a"} ],
               "extra": {"nested": [1, {"deep": "]}"}]},
               "name" : "my run",
               "options": {"critiqueRevise": false, "seed": 7} }
            """, sink);

        Assert.Equal("my run", body.Name);
        Assert.True(body.HasItems);
        Assert.Null(body.InputBlob);
        var settings = RunOptionsParser.FromJson(body.Options, "run-unit", RunRequests.Limits, []);
        Assert.False(settings.CritiqueRevise);
        Assert.Equal(7, settings.Seed);
        Assert.Equal(3, sink.Count);

        // The options came after the items, so the critique-dependent check is made once they are known.
        var result = sink.Finish(critiqueRevise: false).Rejection!;
        Assert.Equal(["line 2, field 'prompt'", "line 3, field 'response_b'"], result.Errors.Select(e => $"line {e.Line}, field '{e.Field}'"));
        Assert.Equal(2, result.TotalErrors);
        Assert.Equal(2, result.InvalidLines);
        Assert.Equal(1, sink.Finish(critiqueRevise: true).Rejection!.TotalErrors);
    }

    [Fact]
    public async Task An_item_longer_than_MaxLineBytes_ends_the_request_naming_its_position_and_the_setting()
    {
        using var sink = Sink(maxLineBytes: 200);
        var error = await Assert.ThrowsAsync<InputLimitExceededException>(() => Read(
            $$"""{"items":[{"prompt":"short","response_a":"a","response_b":"b"},{"prompt":"{{new string('x', 500)}}","response_a":"a"}]}""", sink));
        Assert.Equal("line 2.(line)", error.Field);
        Assert.Contains("Input:MaxLineBytes", error.Message);
        Assert.False(error.TooLarge);
    }

    [Fact]
    public async Task More_items_than_MaxItems_is_too_large()
    {
        using var sink = Sink(maxItems: 2);
        var error = await Assert.ThrowsAsync<InputLimitExceededException>(() => Read(
            """{"items":[{"prompt":"1","response_a":"a","response_b":"b"},{"prompt":"2","response_a":"a","response_b":"b"},{"prompt":"3"}]}""", sink));
        Assert.True(error.TooLarge);
        Assert.Contains("Input:MaxItems", error.Message);
    }

    [Theory]
    [InlineData("", "body")]
    [InlineData("[1,2]", "body")]
    [InlineData("{\"items\": {\"prompt\": \"p\"}}", "items")]
    [InlineData("{\"items\": [{\"prompt\": \"p\"} {\"prompt\": \"q\"}]}", "line 2.(line)")]
    [InlineData("{\"items\": [{\"prompt\": \"p\"}", "body")]
    [InlineData("{\"items\": [], \"items\": []}", "items")]
    public async Task A_body_that_is_not_a_run_request_is_refused_naming_where(string json, string field)
    {
        using var sink = Sink();
        var error = await Assert.ThrowsAsync<RequestBodyException>(() => Read(json, sink));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public async Task Megabytes_of_whitespace_between_fields_are_read_through_not_held()
    {
        using var sink = Sink();
        var padded = "{\"name\":\"n\"," + new string(' ', 3 * 1024 * 1024) + "\"items\":[{\"prompt\":\"p\",\"response_a\":\"a\",\"response_b\":\"b\"}]}";
        var body = await StartRunBodyReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(padded)), sink, CancellationToken.None);
        Assert.Equal("n", body.Name);
        Assert.Equal(1, sink.Count);
    }

    [Fact]
    public async Task A_field_other_than_items_is_bounded()
    {
        using var sink = Sink();
        var error = await Assert.ThrowsAsync<RequestBodyException>(() => StartRunBodyReader.ReadAsync(
            new MemoryStream(Encoding.UTF8.GetBytes($$"""{"name":"{{new string('n', 100_000)}}"}""")), sink, CancellationToken.None));
        Assert.Equal("name", error.Field);
    }

    [Fact]
    public async Task Bad_text_in_the_name_or_options_of_the_wrong_shape_are_field_errors()
    {
        using var sink = Sink();
        byte[] json = [.. "{\"name\":\"a"u8, 0xFF, .. "\",\"options\":{\"seed\":\"seven\",\"judges\":\"alpha\"},\"inputBlob\":5}"u8];
        var body = await StartRunBodyReader.ReadAsync(new TrickleStream(json), sink, CancellationToken.None);
        Assert.Contains(body.Errors, e => e.Field == "name" && e.Message.Contains("not valid UTF-8"));
        Assert.Contains(body.Errors, e => e.Field == "inputBlob");
        Assert.False(body.HasItems);
        // Each option of the wrong kind is named by the parser that builds the run's options.
        var errors = new List<FieldError>();
        RunOptionsParser.FromJson(body.Options, "run-unit", RunRequests.Limits, errors);
        Assert.Equal(["options.judges", "options.seed"], errors.Select(e => e.Field).Order(StringComparer.Ordinal));
        errors.Clear();
        RunOptionsParser.FromJson(System.Text.Json.JsonDocument.Parse("5").RootElement, "run-unit", RunRequests.Limits, errors);
        Assert.Equal("options", Assert.Single(errors).Field);
    }

    /// <summary>Hands out one byte per read.</summary>
    sealed class TrickleStream(byte[] bytes) : Stream
    {
        int position;
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (position == bytes.Length || count == 0) return 0;
            buffer[offset] = bytes[position++];
            return 1;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => bytes.Length;
        public override long Position { get => position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
