using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using SynthPref.FakeLlm;
using SynthPref.Functions.Functions;
using SynthPref.Orchestration.Workflow;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Functions;

/// <summary>
/// Under the Functions app: its functions, called directly with a real durable client on a local host's
/// backend, refuse bodies past the limits with the same 413s, rate-limit review tokens themselves (the worker runs no
/// ASP.NET Core middleware for functions), issue review links, and serve the failures route with the local host's
/// exact contract, checked against that host's own answer for the same run.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class FunctionsFaultsTests(PipelineFixture fixture, FunctionsAppFixture app) : IClassFixture<FunctionsAppFixture>, IAsyncLifetime
{
    const string RequestHost = FunctionCall.RequestHost;

    ServiceProvider services = null!;
    DurableTaskClient client = null!;
    RunsFunctions functions = null!;

    public async Task InitializeAsync()
    {
        await app.StartAsync(fixture);
        // The Functions app's own limits, on the shared app's durable backend.
        services = app.CreateServices(fixture, app.Channel, fixture.Llm.BaseUrl.ToString(), new Dictionary<string, string?>
        {
            ["Api:MaxRequestBytes"] = "4096",
            ["Input:MaxItems"] = "3",
            ["Reviews:RateLimitPerSecond"] = "1",
            ["Reviews:RateLimitBurst"] = "3",
            ["Reviews:RateLimitQueue"] = "0",
        });
        client = services.GetRequiredService<DurableTaskClient>();
        functions = ActivatorUtilities.CreateInstance<RunsFunctions>(services);
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    [Fact]
    public async Task Functions_refuse_oversized_bodies_rate_limit_review_links_and_serve_failures_like_the_local_host()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        object Item(int i) => new { id = $"f{i}", prompt = $"{tag} {i} {FakeJudgeResponder.NoCritiqueMarker}", response_a = "[[good]] a", response_b = "b" };

        var large = await Send("POST", "/api/runs", (ctx, ct) => functions.StartRun(ctx.Request, client, ct),
            rawBody: JsonSerializer.Serialize(new { items = new[] { Item(0) }, name = new string('n', 5000) }));
        Assert.Equal(413, large.Status);
        Assert.Contains("Api:MaxRequestBytes", large.Json.GetProperty("detail").GetString());
        var many = await Send("POST", "/api/runs", (ctx, ct) => functions.StartRun(ctx.Request, client, ct),
            body: new { items = Enumerable.Range(0, 4).Select(Item).ToArray() });
        Assert.Equal(413, many.Status);
        Assert.Contains("Input:MaxItems", many.Json.GetProperty("detail").GetString());

        // Two items whose critic is down: both keep their judge pair and record a failed step.
        var started = await Send("POST", "/api/runs", (ctx, ct) => functions.StartRun(ctx.Request, client, ct), body: new
        {
            items = Enumerable.Range(0, 2).Select(Item).ToArray(),
            options = new { reviewSampleSize = 2, minReviewsPerItem = 5, maxFailedItemsRatio = 1.0 },
        });
        Assert.Equal(202, started.Status);
        var runId = started.Json.GetProperty("runId").GetString()!;
        var token = started.Json.GetProperty("reviewToken").GetString()!;
        using var api = new SynthPrefApi(app.Host.CreateClient());
        await api.WaitForAsync(runId, "AwaitingReview");

        // The failures route answers exactly as the local host's does for the same run.
        var failures = await Send("GET", $"/api/runs/{runId}/failures", (ctx, ct) => functions.GetFailures(ctx.Request, runId, client, ct));
        Assert.Equal(200, failures.Status);
        Assert.Equal(["runId", "status", "degraded", "failedItems", "total", "skip", "failures", "failureCounts"], failures.Json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, failures.Json.GetProperty("total").GetInt32());
        Assert.True(failures.Json.GetProperty("degraded").GetBoolean());
        Assert.Equal(["itemIndex", "inputId", "step", "error", "at"], failures.Json.GetProperty("failures")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(failures.Body, await api.Http.GetStringAsync($"/api/runs/{runId}/failures"));
        Assert.Equal(404, (await Send("GET", "/api/runs/run-unknown/failures", (ctx, ct) => functions.GetFailures(ctx.Request, "run-unknown", client, ct))).Status);

        // The review token is limited to a burst of 3 here: the fourth request at once is refused with a 429.
        var answers = new List<FnResponse>();
        for (var i = 0; i < 5; i++)
            answers.Add(await Send("GET", $"/api/runs/{runId}/review-items", (ctx, ct) => functions.GetReviewItems(ctx.Request, runId, ct), token: token));
        Assert.Contains(answers, a => a.Status == 200);
        var limited = answers.First(a => a.Status == 429);
        Assert.Contains("Reviews:RateLimitPerSecond", limited.Json.GetProperty("detail").GetString());
        Assert.True(int.Parse(limited.Headers.RetryAfter.ToString()) >= 1);

        // A new link replaces the old token.
        var link = await Send("POST", $"/api/runs/{runId}/review-link", (ctx, ct) => functions.IssueReviewLink(ctx.Request, runId, ct));
        Assert.Equal(200, link.Status);
        var newToken = link.Json.GetProperty("reviewToken").GetString()!;
        Assert.Equal($"https://{RequestHost}/api/runs/{runId}/review#token={Uri.EscapeDataString(newToken)}", link.Json.GetProperty("reviewUri").GetString());
        // The old token's bucket is empty from the burst above: sent again when each 429 says to, so that the 401 is
        // about the token, not the rate.
        var stale = await Eventually.NotRateLimitedAsync(
            () => Send("POST", $"/api/runs/{runId}/reviews/close", (ctx, ct) => functions.CloseReview(ctx.Request, runId, client, ct), token: token),
            a => a.Status == 429 ? TimeSpan.FromSeconds(int.Parse(a.Headers.RetryAfter.ToString())) : null, TimeSpan.FromSeconds(15));
        Assert.Equal(401, stale.Status);
        var closed = await Send("POST", $"/api/runs/{runId}/reviews/close", (ctx, ct) => functions.CloseReview(ctx.Request, runId, client, ct), token: newToken);
        Assert.Equal(202, closed.Status);
        var done = await api.WaitForAsync(runId, "Completed");
        Assert.True(done.GetProperty("degraded").GetBoolean());

        // A 409 names the run's real status.
        var again = await Send("POST", $"/api/runs/{runId}/reviews/close", (ctx, ct) => functions.CloseReview(ctx.Request, runId, client, ct), token: newToken);
        Assert.Equal(409, again.Status);
        Assert.Contains("status Completed, degraded (2 of 2 items failed)", again.Json.GetProperty("detail").GetString());
    }

    Task<FnResponse> Send(string method, string path, Func<HttpContext, CancellationToken, Task<IResult>> function,
        object? body = null, string? rawBody = null, string? token = null) =>
        FunctionCall.SendAsync(services, method, path, function, body, rawBody, token);
}
