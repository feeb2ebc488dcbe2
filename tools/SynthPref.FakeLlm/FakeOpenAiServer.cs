using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SynthPref.FakeLlm;

public sealed record FakeMessage(string Role, string Text);

/// <summary>What the server logged for one chat completion request.</summary>
public sealed record FakeRequest(string Path, string Model, IReadOnlyList<FakeMessage> Messages, bool Stream, DateTimeOffset ReceivedAt,
    JsonNode? ResponseFormat = null, JsonNode? Body = null);

/// <summary>What a responder sees. ResponseFormat is the request's <c>response_format</c>, when it had one.</summary>
public sealed record FakeChatRequest(string Model, IReadOnlyList<FakeMessage> Messages, JsonNode? ResponseFormat = null)
{
    public string? LastUserText => Messages.LastOrDefault(m => m.Role == "user")?.Text;

    /// <summary>Whether the caller asked for a JSON-schema answer (structured output).</summary>
    public bool WantsJsonSchema => ResponseFormat?["type"]?.GetValue<string>() == "json_schema";
}

/// <summary>Either assistant text or an HTTP error the server returns instead, optionally with response headers
/// (Retry-After, say); or, with <see cref="RawBody"/>, exactly these bytes as the body, for a provider that breaks the
/// wire format (an empty or truncated 200).</summary>
public sealed record FakeReply(string? Text, int StatusCode, string? ErrorMessage,
    IReadOnlyDictionary<string, string>? Headers = null, string? RawBody = null)
{
    public static FakeReply Answer(string text) => new(text, StatusCodes.Status200OK, null);
    public static FakeReply Error(int statusCode, string message = "fake server error", IReadOnlyDictionary<string, string>? headers = null) =>
        new(null, statusCode, message, headers);
    public static FakeReply Raw(string body, int statusCode = StatusCodes.Status200OK) => new(null, statusCode, null, RawBody: body);
}

/// <summary>
/// A real Kestrel server on a loopback port speaking the OpenAI Chat Completions wire format, so the real SDK,
/// its pipeline and our middleware are exercised end to end. Supports plain and streamed (SSE) completions.
/// </summary>
public sealed class FakeOpenAiServer : IAsyncDisposable
{
    readonly WebApplication app;
    readonly ConcurrentQueue<FakeRequest> requests = new();
    long nextId;
    long chatRequests;
    long inFlight;
    long peakInFlight;

    FakeOpenAiServer(WebApplication app, Func<FakeChatRequest, CancellationToken, Task<FakeReply>> responder)
    {
        this.app = app;
        Responder = responder;
        Batch = new FakeBatchApi(this);
    }

    /// <summary>The Files and Batches endpoints, answered by the same <see cref="Responder"/>.</summary>
    public FakeBatchApi Batch { get; }

    /// <summary>Decides each reply; may be swapped between calls.</summary>
    public Func<FakeChatRequest, CancellationToken, Task<FakeReply>> Responder { get; set; }

    /// <summary>The OpenAI-style base address, ending in /v1.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The server root, for clients (like Azure OpenAI) that build their own paths.</summary>
    public Uri RootUrl { get; private set; } = null!;

    public IReadOnlyList<FakeRequest> Requests => requests.ToArray();

    /// <summary>
    /// A fixed delay awaited before each answer (after the request is read), standing in for model latency.
    /// The delay honours the request's cancellation. Zero by default; may be changed between calls.
    /// </summary>
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Whether each request is kept in <see cref="Requests"/>. True by default (the tests read them); a benchmark
    /// sending tens of thousands of prompts turns it off and reads the counters instead.
    /// </summary>
    public bool RecordRequests { get; set; } = true;

    /// <summary>Chat completion requests received since the start or the last <see cref="ResetCounters"/>.</summary>
    public long ChatRequests => Interlocked.Read(ref chatRequests);

    /// <summary>Chat completion requests being handled right now.</summary>
    public long InFlight => Interlocked.Read(ref inFlight);

    /// <summary>The most requests handled at once since the start or the last <see cref="ResetCounters"/>.</summary>
    public long PeakInFlight => Interlocked.Read(ref peakInFlight);

    /// <summary>Zeroes <see cref="ChatRequests"/> and sets <see cref="PeakInFlight"/> to what is in flight now.</summary>
    public void ResetCounters()
    {
        Interlocked.Exchange(ref chatRequests, 0);
        Interlocked.Exchange(ref peakInFlight, Interlocked.Read(ref inFlight));
    }

    public static Task<FakeOpenAiServer> StartAsync(Func<FakeChatRequest, FakeReply> responder) =>
        StartAsync((request, _) => Task.FromResult(responder(request)));

    public static async Task<FakeOpenAiServer> StartAsync(Func<FakeChatRequest, CancellationToken, Task<FakeReply>> responder)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        // Batch input files are up to 200 MB.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        builder.Logging.ClearProviders();
        var app = builder.Build();

        var server = new FakeOpenAiServer(app, responder);
        app.MapPost("/v1/chat/completions", (HttpContext ctx) => server.HandleAsync(ctx, deployment: null));
        // Azure OpenAI puts the deployment in the path instead of the body.
        app.MapPost("/openai/deployments/{deployment}/chat/completions",
            (HttpContext ctx, string deployment) => server.HandleAsync(ctx, deployment));
        server.Batch.Map(app, "/v1");
        // Azure OpenAI's v1 API, where its batches go.
        server.Batch.Map(app, "/openai/v1");

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.RootUrl = new Uri(address.TrimEnd('/') + "/");
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/v1");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    async Task HandleAsync(HttpContext ctx, string? deployment)
    {
        Interlocked.Increment(ref chatRequests);
        var now = Interlocked.Increment(ref inFlight);
        for (var peak = Interlocked.Read(ref peakInFlight); now > peak; peak = Interlocked.Read(ref peakInFlight))
        {
            if (Interlocked.CompareExchange(ref peakInFlight, now, peak) == peak)
                break;
        }

        try
        {
            await AnswerAsync(ctx, deployment);
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }

    async Task AnswerAsync(HttpContext ctx, string? deployment)
    {
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
        }
        catch (JsonException ex)
        {
            await WriteErrorAsync(ctx, StatusCodes.Status400BadRequest, $"Request body is not valid JSON: {ex.Message}");
            return;
        }
        if (body is not JsonObject obj)
        {
            await WriteErrorAsync(ctx, StatusCodes.Status400BadRequest, "Request body must be a JSON object with a 'messages' array");
            return;
        }

        var (request, problem) = Read(obj, deployment);
        if (request is null)
        {
            await WriteErrorAsync(ctx, StatusCodes.Status400BadRequest, problem!);
            return;
        }
        var stream = obj["stream"]?.GetValue<bool>() ?? false;
        if (RecordRequests)
            requests.Enqueue(new FakeRequest(ctx.Request.Path, request.Model, request.Messages, stream, DateTimeOffset.UtcNow, request.ResponseFormat,
                obj.DeepClone()));

        if (Latency > TimeSpan.Zero)
            await Task.Delay(Latency, ctx.RequestAborted);

        var reply = await Responder(request, ctx.RequestAborted);
        foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
            ctx.Response.Headers[name] = value;
        if (reply.RawBody is not null)
        {
            ctx.Response.StatusCode = reply.StatusCode;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(reply.RawBody, ctx.RequestAborted);
            return;
        }
        if (reply.Text is null)
        {
            await WriteErrorAsync(ctx, reply.StatusCode, reply.ErrorMessage ?? "fake server error");
            return;
        }

        var id = $"chatcmpl-fake-{Interlocked.Increment(ref nextId)}";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (stream)
        {
            await WriteStreamAsync(ctx, id, created, request.Model, reply.Text, Usage(request.Messages, reply.Text));
            return;
        }
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(Completion(id, created, request.Model, request.Messages, reply.Text).ToJsonString(), ctx.RequestAborted);
    }

    /// <summary>A batch line's body answered as a live call with that body would be: the status and the response body
    /// (a chat completion, or an error object). Not counted as a chat request: no call was made.</summary>
    internal async Task<(int Status, JsonObject Body)> CompleteAsync(JsonObject body, string? deployment, CancellationToken ct)
    {
        var (request, problem) = Read(body, deployment);
        if (request is null) return (StatusCodes.Status400BadRequest, ErrorBody(StatusCodes.Status400BadRequest, problem!));
        var reply = await Responder(request, ct);
        if (reply.RawBody is not null)
            return (StatusCodes.Status500InternalServerError, ErrorBody(StatusCodes.Status500InternalServerError, "fake server: a broken body cannot go in a batch"));
        if (reply.Text is null) return (reply.StatusCode, ErrorBody(reply.StatusCode, reply.ErrorMessage ?? "fake server error"));
        return (StatusCodes.Status200OK, Completion($"chatcmpl-fake-{Interlocked.Increment(ref nextId)}", DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            request.Model, request.Messages, reply.Text));
    }

    static (FakeChatRequest? Request, string? Problem) Read(JsonObject obj, string? deployment)
    {
        if (obj["messages"] is not JsonArray rawMessages)
            return (null, "Request body must be a JSON object with a 'messages' array");
        try
        {
            var messages = rawMessages.Select(ReadMessage).ToList();
            return (new FakeChatRequest(deployment ?? obj["model"]?.GetValue<string>() ?? "", messages, obj["response_format"]?.DeepClone()), null);
        }
        catch (FormatException ex)
        {
            return (null, ex.Message);
        }
    }

    static JsonObject Usage(IReadOnlyList<FakeMessage> messages, string text)
    {
        var promptTokens = messages.Sum(m => WordCount(m.Text));
        var completionTokens = WordCount(text);
        return new JsonObject
        {
            ["prompt_tokens"] = promptTokens,
            ["completion_tokens"] = completionTokens,
            ["total_tokens"] = promptTokens + completionTokens,
        };
    }

    static JsonObject Completion(string id, long created, string model, IReadOnlyList<FakeMessage> messages, string text) => new()
    {
        ["id"] = id,
        ["object"] = "chat.completion",
        ["created"] = created,
        ["model"] = model,
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text },
            ["finish_reason"] = "stop",
        }),
        ["usage"] = Usage(messages, text),
    };

    /// <summary>An error in the OpenAI API's shape: message, type (server_error for 5xx, else invalid_request_error, as
    /// the API names them), param and code (null, as the API sends for most errors).</summary>
    static JsonObject ErrorBody(int status, string message) =>
        new()
        {
            ["error"] = new JsonObject
            {
                ["message"] = message, ["type"] = status >= 500 ? "server_error" : "invalid_request_error", ["param"] = null, ["code"] = null,
            },
        };

    static async Task WriteStreamAsync(HttpContext ctx, string id, long created, string model, string text, JsonObject usage)
    {
        ctx.Response.ContentType = "text/event-stream";

        JsonObject Chunk(JsonObject delta, string? finishReason) => new()
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = created,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finishReason }),
        };

        async Task Send(string data)
        {
            await ctx.Response.WriteAsync($"data: {data}\n\n", ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        }

        await Send(Chunk(new JsonObject { ["role"] = "assistant", ["content"] = text }, null).ToJsonString());
        var last = Chunk(new JsonObject(), "stop");
        last["usage"] = usage;
        await Send(last.ToJsonString());
        await Send("[DONE]");
    }

    static FakeMessage ReadMessage(JsonNode? node)
    {
        if (node is not JsonObject m || m["role"]?.GetValue<string>() is not { } role)
            throw new FormatException("Each message must be an object with a string 'role'");

        var text = m["content"] switch
        {
            null => "",
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonArray parts => string.Concat(parts.Select(p =>
                p?["type"]?.GetValue<string>() == "text"
                    ? p["text"]?.GetValue<string>() ?? ""
                    : throw new FormatException("Only 'text' content parts are supported"))),
            _ => throw new FormatException("Message 'content' must be a string or an array of content parts"),
        };
        return new FakeMessage(role, text);
    }

    static async Task WriteErrorAsync(HttpContext ctx, int status, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(ErrorBody(status, message).ToJsonString(), Encoding.UTF8);
    }

    static int WordCount(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
}
