using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SynthPref.Orchestration.Storage;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>Oversized bodies, items past the host's limits, bytes that are not text, and blob references
/// that point at another run's data. Each is refused with ProblemDetails naming the rule, and nothing is stored.</summary>
[Collection(PipelineCollection.Name)]
public sealed class HostileInputTests(PipelineFixture fixture)
{
    static readonly byte[] InvalidUtf8 = [0xFF, 0xFE];

    [Fact]
    public async Task A_100_MB_body_is_refused_with_413_naming_the_limit_whether_its_length_is_declared_or_not()
    {
        const long size = 100L * 1024 * 1024;

        // Declared: a client that asks first (Expect: 100-continue, as curl does for large bodies) is refused before it
        // sends a byte of the body.
        using (var content = new StreamContent(new JsonPaddingStream(size)))
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            content.Headers.ContentLength = size;
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = content };
            request.Headers.ExpectContinue = true;
            using var response = await fixture.Api.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(413, problem.GetProperty("status").GetInt32());
            Assert.Contains("Api:MaxRequestBytes", problem.GetProperty("detail").GetString());
        }

        // Undeclared (chunked): the host reads up to the limit, then answers while the client is still sending, so the
        // answer is read as it arrives, as a browser or curl would, rather than after the whole body is sent.
        var (status, body) = await PostChunkedReadingEarlyAsync(fixture.Host.Port, "/api/runs", new JsonPaddingStream(size));
        Assert.Equal(413, status);
        Assert.Contains("Api:MaxRequestBytes", body);
        Assert.Contains("application/problem+json", body);

        // The host is fine afterwards.
        Assert.Equal(HttpStatusCode.OK, (await fixture.Api.Http.GetAsync("/api/health")).StatusCode);
    }

    static bool IsComplete(string response)
    {
        var headerEnd = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headerEnd < 0) return false;
        var headers = response[..headerEnd];
        var body = response[(headerEnd + 4)..];
        var length = headers.Split("\r\n").FirstOrDefault(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        return length is not null ? Encoding.UTF8.GetByteCount(body) >= int.Parse(length[15..].Trim()) : body.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
    }

    /// <summary>Sends a chunked POST from <paramref name="content"/> while reading the response, and returns the status
    /// and the raw response (headers and body) as soon as the server answers, however much was sent by then.</summary>
    static async Task<(int Status, string Response)> PostChunkedReadingEarlyAsync(int port, string path, Stream content)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var sending = Task.Run(async () =>
        {
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(
                    $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"), stop.Token);
                var chunk = new byte[64 * 1024];
                int read;
                while ((read = await content.ReadAsync(chunk, stop.Token)) > 0)
                {
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"{read:X}\r\n"), stop.Token);
                    await stream.WriteAsync(chunk.AsMemory(0, read), stop.Token);
                    await stream.WriteAsync("\r\n"u8.ToArray(), stop.Token);
                }
                await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), stop.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The server stopped reading: expected once it has answered.
            }
        });
        var response = new StringBuilder();
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, stop.Token)) > 0)
            {
                response.Append(Encoding.UTF8.GetString(buffer, 0, n));
                if (IsComplete(response.ToString())) break;
            }
        }
        catch (IOException) when (response.Length > 0)
        {
        }
        stop.Cancel();
        client.Close();
        await sending;
        var statusLine = response.ToString().Split("\r\n")[0];
        return (int.Parse(statusLine.Split(' ')[1]), response.ToString());
    }

    [Fact]
    public async Task Item_count_line_length_and_body_size_limits_apply_to_inline_bodies_and_blobs_alike()
    {
        await using var host = fixture.CreateHost("limits" + Guid.NewGuid().ToString("N")[..6], fixture.Llm.BaseUrl, new Dictionary<string, string>
        {
            ["Api__MaxRequestBytes"] = "200000",
            ["Input__MaxItems"] = "5",
            ["Input__MaxLineBytes"] = "2000",
            ["BlobTrigger__Enabled"] = "false",
        });
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());
        var tag = Guid.NewGuid().ToString("N")[..8];
        object Item(int i, int padding = 0) => new { id = $"i{i}", prompt = $"{tag} {i}" + new string('p', padding), response_a = "a", response_b = "b" };

        var tooMany = await api.PostRunAsync(new { items = Enumerable.Range(0, 6).Select(i => Item(i)).ToArray() });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooMany.StatusCode);
        Assert.Contains("Input:MaxItems", (await tooMany.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Accepted, (await api.PostRunAsync(new
        {
            items = Enumerable.Range(0, 5).Select(i => Item(i)).ToArray(), options = new { critiqueRevise = false, reviewSampleSize = 0 },
        })).StatusCode);

        var tooLong = await api.PostRunAsync(new { items = new[] { Item(0), Item(1, padding: 3000) } });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        var problem = await tooLong.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("Input:MaxLineBytes", problem.GetProperty("detail").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty("line 2.(line)", out _), problem.ToString());

        // A body past Api:MaxRequestBytes without a declared length is cut off as it streams.
        var padded = Encoding.UTF8.GetBytes("{\"items\":[" + JsonSerializer.Serialize(Item(0)) + "]" + new string(' ', 300_000) + "}");
        using (var chunked = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = new StreamContent(new MemoryStream(padded)) })
        {
            chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            chunked.Headers.TransferEncodingChunked = true;
            var response = await api.Http.SendAsync(chunked);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("200000 bytes", await response.Content.ReadAsStringAsync());
        }

        // The same limits fail a blob's run, naming them.
        var uploads = fixture.Container(StorageNames.UploadsContainer);
        var manyLines = string.Join('\n', Enumerable.Range(0, 6).Select(i => JsonSerializer.Serialize(Item(i))));
        await uploads.GetBlobClient($"many-{tag}.jsonl").UploadAsync(BinaryData.FromString(manyLines));
        var many = await api.StartAsync(new { inputBlob = $"{StorageNames.UploadsContainer}/many-{tag}.jsonl" });
        var manyStatus = await api.WaitForAsync(many.RunId, "Failed");
        Assert.Contains("Input:MaxItems", manyStatus.GetProperty("error").GetString());

        var longLine = JsonSerializer.Serialize(Item(0)) + "\n" + JsonSerializer.Serialize(Item(1, padding: 3000));
        await uploads.GetBlobClient($"long-{tag}.jsonl").UploadAsync(BinaryData.FromString(longLine));
        var longRun = await api.StartAsync(new { inputBlob = $"{StorageNames.UploadsContainer}/long-{tag}.jsonl" });
        var longStatus = await api.WaitForAsync(longRun.RunId, "Failed");
        Assert.Contains("line 2", longStatus.GetProperty("error").GetString());
        Assert.Contains("Input:MaxLineBytes", longStatus.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Invalid_UTF8_and_lone_surrogates_inline_are_a_400_naming_line_and_field()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var body = Concat(
            $$"""{"name":"ok","items":[{"id":"fine","prompt":"{{tag}} fine","response_a":"a","response_b":"b"},{"id":"bytes","prompt":"{{tag}} bad """,
            InvalidUtf8,
            """ bytes","response_a":"a","response_b":"b"},{"id":"surrogate","prompt":"p","response_a":"lone \ud800 half","response_b":"b"}]}""");
        var response = await PostRawAsync(fixture.Api.Http, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var errors = problem.GetProperty("errors");
        Assert.Contains("not valid UTF-8", errors.GetProperty("line 2.prompt")[0].GetString());
        Assert.Contains("lone surrogate", errors.GetProperty("line 3.response_a")[0].GetString());
        Assert.False(errors.TryGetProperty("line 1.prompt", out _));
        Assert.Equal(0, fixture.Llm.Requests.Count(r => r.Messages.Any(m => m.Text.Contains(tag))));

        // The run's name is text too.
        var badName = await PostRawAsync(fixture.Api.Http, Concat("{\"name\":\"x", InvalidUtf8, "\",\"items\":[{\"prompt\":\"p\",\"response_a\":\"a\",\"response_b\":\"b\"}]}"));
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        Assert.Contains("not valid UTF-8", (await badName.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("name")[0].GetString());
    }

    [Fact]
    public async Task Invalid_UTF8_and_lone_surrogates_in_a_blob_fail_its_run_naming_line_and_field_and_nothing_is_replaced()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var jsonl = Concat(
            $$"""{"id":"fine","prompt":"{{tag}} fine","response_a":"a","response_b":"b"}""" + "\n" + $$"""{"id":"bytes","prompt":"{{tag}} bad """,
            InvalidUtf8,
            " bytes\",\"response_a\":\"a\",\"response_b\":\"b\"}\n" + """{"id":"surrogate","prompt":"p","response_a":"lone \udc00 half","response_b":"b"}""");
        var name = $"bad-bytes-{tag}.jsonl";
        await fixture.Container(StorageNames.UploadsContainer).GetBlobClient(name).UploadAsync(BinaryData.FromBytes(jsonl));

        var run = await fixture.Api.StartAsync(new { inputBlob = $"{StorageNames.UploadsContainer}/{name}", options = new { critiqueRevise = false } });
        var status = await fixture.Api.WaitForAsync(run.RunId, "Failed");
        var error = status.GetProperty("error").GetString()!;
        Assert.Contains("line 2, field 'prompt'", error);
        Assert.Contains("not valid UTF-8", error);
        Assert.Contains("line 3, field 'response_a'", error);
        Assert.Contains("lone surrogate", error);
        Assert.Empty(await fixture.PairRowsAsync(run.RunId));
        Assert.Equal(0, fixture.Llm.Requests.Count(r => r.Messages.Any(m => m.Text.Contains(tag))));

        // The run's copy holds the bytes as they were sent: nothing was quietly turned into U+FFFD.
        var copy = (await fixture.Container(StorageNames.WorkContainer).GetBlobClient($"{run.RunId}/input.jsonl").DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal(jsonl, copy);
    }

    [Fact]
    public async Task InputBlob_may_name_only_an_input_container_never_a_runs_copies_or_outputs()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var victim = await fixture.Api.StartAsync(new
        {
            items = new object[] { new { id = "secret", prompt = $"{tag} private prompt", response_a = "[[good]] a", response_b = "b" } },
            options = new { critiqueRevise = false, reviewSampleSize = 0 },
        });
        await fixture.Api.WaitForAsync(victim.RunId, "Completed");

        foreach (var reference in new[]
                 {
                     $"{StorageNames.WorkContainer}/{victim.RunId}/input.jsonl",
                     $"{StorageNames.OutputContainer}/{victim.RunId}/dataset.jsonl",
                     $"{StorageNames.UploadsContainer}/../{StorageNames.WorkContainer}/{victim.RunId}/input.jsonl",
                     $"{StorageNames.UploadsContainer}/./x/../../{StorageNames.OutputContainer}/{victim.RunId}/dataset.jsonl",
                 })
        {
            var response = await fixture.Api.PostRunAsync(new { inputBlob = reference });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            var message = problem.GetProperty("errors").GetProperty("inputBlob")[0].GetString()!;
            Assert.True(message.Contains("Input:Containers") || message.Contains("'..'"), $"{reference}: {message}");
        }

        // An input container is fine.
        var name = $"ok-{tag}.jsonl";
        await fixture.Container(StorageNames.UploadsContainer).GetBlobClient(name).UploadAsync(BinaryData.FromString(
            $$"""{"id":"x","prompt":"{{tag}} public","response_a":"[[good]] a","response_b":"b"}"""));
        var allowed = await fixture.Api.StartAsync(new
        {
            inputBlob = $"{StorageNames.UploadsContainer}/{name}", options = new { critiqueRevise = false, reviewSampleSize = 0 },
        });
        await fixture.Api.WaitForAsync(allowed.RunId, "Completed");
    }

    static byte[] Concat(string head, byte[] middle, string tail) => [.. Encoding.UTF8.GetBytes(head), .. middle, .. Encoding.UTF8.GetBytes(tail)];

    static async Task<HttpResponseMessage> PostRawAsync(HttpClient http, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await http.PostAsync("/api/runs", content);
    }

    /// <summary>A JSON object padded with whitespace to <paramref name="length"/> bytes, generated as it is read.</summary>
    sealed class JsonPaddingStream(long length) : Stream
    {
        long position;
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - position);
            for (var i = 0; i < n; i++)
            {
                var at = position + i;
                buffer[offset + i] = at == 0 ? (byte)'{' : at == length - 1 ? (byte)'}' : (byte)' ';
            }
            position += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
