using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Reviews;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Functions;

public sealed record FnResponse(int Status, IHeaderDictionary Headers, string? ContentType, string Body)
{
    public JsonElement Json => Body.Length == 0 ? default : JsonDocument.Parse(Body).RootElement.Clone();
    public T As<T>() => JsonSerializer.Deserialize<T>(Body, SynthPrefApi.Json)!;
}

/// <summary>
/// Calls a Functions app function as the worker would: a request as the forwarded-headers middleware leaves it behind
/// the Functions host (the caller's scheme and host), the function's result executed into a response.
/// </summary>
public static class FunctionCall
{
    public const string RequestHost = "synthpref-fn.example.net";

    public static async Task<FnResponse> SendAsync(IServiceProvider services, string method, string path,
        Func<HttpContext, CancellationToken, Task<IResult>> function, object? body = null, string? rawBody = null, string? token = null,
        string? query = null)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        var request = context.Request;
        request.Method = method;
        request.Scheme = "https";
        request.Host = new HostString(RequestHost);
        request.Path = path;
        if (query is not null) request.QueryString = new QueryString(query);
        if (body is not null || rawBody is not null)
        {
            var bytes = rawBody is not null ? Encoding.UTF8.GetBytes(rawBody) : JsonSerializer.SerializeToUtf8Bytes(body, SynthPrefApi.Json);
            request.Body = new MemoryStream(bytes);
            request.ContentLength = bytes.Length;
            request.ContentType = "application/json";
        }
        if (token is not null) request.Headers[ReviewTokens.Header] = token;
        var responseBody = new MemoryStream();
        context.Response.Body = responseBody;

        var result = await function(context, CancellationToken.None);
        await result.ExecuteAsync(context);
        return new FnResponse(context.Response.StatusCode, context.Response.Headers, context.Response.ContentType,
            Encoding.UTF8.GetString(responseBody.ToArray()));
    }
}
