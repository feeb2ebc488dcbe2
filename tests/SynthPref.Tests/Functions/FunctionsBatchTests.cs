using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using SynthPref.FakeLlm;
using SynthPref.Functions.Functions;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Functions;

/// <summary>
/// A batch run through the Functions app's HTTP functions, called directly with a real durable client; the worker of a
/// local host on the same hub runs it. The waiting is the orchestration's (durable timers), so the status the functions
/// show during the wait, and what a close does, are those of the local host.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class FunctionsBatchTests(PipelineFixture fixture, FunctionsAppFixture app) : IClassFixture<FunctionsAppFixture>, IAsyncLifetime
{
    ServiceProvider services = null!;
    DurableTaskClient client = null!;
    RunsFunctions functions = null!;

    public async Task InitializeAsync()
    {
        await app.StartAsync(fixture);
        services = app.CreateServices(fixture, app.Channel, fixture.Llm.BaseUrl.ToString());
        client = services.GetRequiredService<DurableTaskClient>();
        functions = ActivatorUtilities.CreateInstance<RunsFunctions>(services);
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    int LiveCallsFor(string tag) => fixture.Llm.Requests.Count(r => r.Messages.Any(m => m.Text.Contains(tag, StringComparison.Ordinal)));

    [Fact]
    public async Task A_batch_run_through_the_functions_matches_a_live_one_shows_its_batches_and_a_close_cancels_them()
    {
        var tag = $"[[fnbatch-{Guid.NewGuid():N}]]";
        object[] items =
        [
            new { id = "one", prompt = $"{tag} one", response_a = "[[good]] a", response_b = "b" },
            new { id = "two", prompt = $"{tag} [[garbage]] two", response_a = "a", response_b = "b b" },
            new { id = "three", prompt = $"{tag} three", response_a = "short", response_b = "a longer one" },
        ];
        var live = await StartAsync(new { items, options = new { reviewSampleSize = 0, critiqueRevise = false, cache = false, seed = 3 } });
        await WaitForAsync(live, s => s.GetProperty("status").GetString() == "Completed");
        var liveCalls = LiveCallsFor(tag);

        var batch = await StartAsync(new { items, options = new { reviewSampleSize = 0, critiqueRevise = false, batch = true, seed = 3 } });
        var done = await WaitForAsync(batch, s => s.GetProperty("status").GetString() == "Completed");
        Assert.Equal(liveCalls, LiveCallsFor(tag));
        Assert.Equal(Fields(await fixture.PairRowsAsync(live)), Fields(await fixture.PairRowsAsync(batch)));
        var report = (await Send("GET", $"/api/runs/{batch}/report", (ctx, ct) => functions.GetReport(ctx.Request, batch, client, ct))).Json;
        var b = report.GetProperty("batch");
        // Six judge requests, then the unparseable item's two re-asks in a second cycle.
        Assert.Equal((8, 8, 0, "nothing-left"), (b.GetProperty("requestsSent").GetInt32(), b.GetProperty("answeredByBatch").GetInt32(),
            b.GetProperty("answeredLive").GetInt32(), b.GetProperty("endedBy").GetString()));
        Assert.Equal(2, fixture.Llm.Batch.BatchesOf(batch).Count);
        Assert.Equal("ended", done.GetProperty("progress").GetProperty("batch").GetProperty("state").GetString());

        // One request held at the provider: the functions' status shows the batch waiting, with its id and counts; a close
        // cancels it, keeping what it had answered.
        var held = fixture.Gate.HoldAnswersFor($"{tag} held");
        var (closing, token) = await StartWithTokenAsync(new
        {
            items = new object[]
            {
                new { id = "held", prompt = $"{tag} held", response_a = "a", response_b = "b b" },
                new { id = "free", prompt = $"{tag} free", response_a = "a", response_b = "b b" },
            },
            options = new { reviewSampleSize = 5, critiqueRevise = false, batch = true },
        });
        try
        {
            // Validating when created, in progress once the run has asked again.
            var waiting = await WaitForAsync(closing, s =>
                s.GetProperty("progress").GetProperty("batch") is { ValueKind: JsonValueKind.Object } p && p.GetProperty("state").GetString() == "waiting"
                && p.GetProperty("batches") is { ValueKind: JsonValueKind.Array } list && list.GetArrayLength() == 1
                && list[0].GetProperty("state").GetString() == "in_progress");
            var shown = waiting.GetProperty("progress").GetProperty("batch");
            Assert.Equal(4, shown.GetProperty("requests").GetInt32());
            var only = Assert.Single(shown.GetProperty("batches").EnumerateArray());
            Assert.Equal(fixture.Llm.Batch.BatchesOf(closing).Single().Id, only.GetProperty("id").GetString());
            Assert.Equal("in_progress", only.GetProperty("state").GetString());

            var closed = await Send("POST", $"/api/runs/{closing}/reviews/close",
                (ctx, ct) => functions.CloseReview(ctx.Request, closing, client, ct), token: token);
            Assert.Equal(202, closed.Status);
            await WaitForAsync(closing, s => s.GetProperty("status").GetString() is "Completed" or "Failed");
        }
        finally
        {
            held.Release();
        }
        Assert.Equal("cancelled", fixture.Llm.Batch.Describe(fixture.Llm.Batch.BatchesOf(closing).Single().Id)["status"]!.GetValue<string>());
        var after = (await Send("GET", $"/api/runs/{closing}/report", (ctx, ct) => functions.GetReport(ctx.Request, closing, client, ct))).Json;
        Assert.Equal("closed", after.GetProperty("batch").GetProperty("endedBy").GetString());
        Assert.Equal("closed", after.GetProperty("review").GetProperty("endedBy").GetString());
        Assert.Equal((2, 2), (after.GetProperty("batch").GetProperty("answeredByBatch").GetInt32(), after.GetProperty("batch").GetProperty("failed").GetInt32()));
        var rows = await fixture.PairRowsAsync(closing);
        Assert.Equal(["free"], rows.Select(r => r.GetString("InputId")));
        Assert.Equal(0, LiveCallsFor(tag) - liveCalls);
    }

    async Task<string> StartAsync(object body) => (await StartWithTokenAsync(body)).RunId;

    async Task<(string RunId, string Token)> StartWithTokenAsync(object body)
    {
        var started = await Send("POST", "/api/runs", (ctx, ct) => functions.StartRun(ctx.Request, client, ct), body);
        Assert.True(started.Status == 202, started.Body);
        return (started.Json.GetProperty("runId").GetString()!, started.Json.GetProperty("reviewToken").GetString()!);
    }

    async Task<JsonElement> WaitForAsync(string runId, Func<JsonElement, bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var status = (await Send("GET", $"/api/runs/{runId}", (ctx, ct) => functions.GetRun(ctx.Request, runId, client, ct))).Json;
            if (condition(status)) return status;
            Assert.True(DateTime.UtcNow < until, $"run {runId} never got there: {status}");
            await Task.Delay(200);
        }
    }

    Task<FnResponse> Send(string method, string path, Func<HttpContext, CancellationToken, Task<IResult>> function, object? body = null, string? token = null) =>
        FunctionCall.SendAsync(services, method, path, function, body, token: token);

    static List<string> Fields(IEnumerable<TableEntity> rows) => rows.OrderBy(r => r.RowKey, StringComparer.Ordinal)
        .Select(r => string.Join("|", r.Keys.Where(k => k is not ("PartitionKey" or "Timestamp" or "odata.etag" or "RunId"))
            .Order(StringComparer.Ordinal).Select(k => $"{k}={r[k]}")))
        .ToList();
}
