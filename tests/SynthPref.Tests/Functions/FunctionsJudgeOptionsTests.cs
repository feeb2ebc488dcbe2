using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using SynthPref.Functions.Functions;
using SynthPref.Orchestration.Workflow;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Functions;

/// <summary>
/// The judge options through the Functions app's HTTP functions, called directly with a real durable client (as in
/// <see cref="FunctionsHttpBehaviourTests"/>): the Functions app resolves judges from its own configuration, and the
/// worker of a local host on the same hub runs the jury.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class FunctionsJudgeOptionsTests(PipelineFixture fixture, FunctionsAppFixture app) : IClassFixture<FunctionsAppFixture>, IAsyncLifetime
{
    ServiceProvider services = null!;
    DurableTaskClient client = null!;
    RunsFunctions functions = null!;

    public async Task InitializeAsync()
    {
        await app.StartAsync(fixture);
        services = Services(OrchestrationVersions.Current);
        client = services.GetRequiredService<DurableTaskClient>();
        functions = ActivatorUtilities.CreateInstance<RunsFunctions>(services);
    }

    /// <summary>What the Functions worker registers, with the judges' sections, and its client stamping new runs with
    /// <paramref name="version"/>.</summary>
    ServiceProvider Services(string version) => app.CreateServices(fixture, app.Channel, fixture.Llm.BaseUrl.ToString(),
        PipelineFixture.JudgeSections(fixture.Llm.BaseUrl).ToDictionary(kv => kv.Key.Replace("__", ":"), kv => (string?)kv.Value), version);

    public async Task DisposeAsync() => await services.DisposeAsync();

    [Fact]
    public async Task A_jury_with_structured_output_and_a_budget_runs_through_the_functions_and_an_unknown_judge_is_a_400()
    {
        var unknown = await Send("POST", "/api/runs", (ctx, ct) => functions.StartRun(ctx.Request, client, ct), new
        {
            items = new object[] { new { prompt = "p", response_a = "a", response_b = "b" } },
            options = new { judges = new[] { "ghost" } },
        });
        Assert.Equal(400, unknown.Status);
        Assert.Contains("unknown judge 'ghost'", unknown.Body);

        var tag = Guid.NewGuid().ToString("N")[..8];
        var started = await Send("POST", "/api/runs", (ctx, ct) => functions.StartRun(ctx.Request, client, ct), new
        {
            items = new object[]
            {
                new { id = "one", prompt = $"{tag} one", response_a = "[[good]] a", response_b = "b" },
                new { id = "two", prompt = $"{tag} two", response_a = "a", response_b = "[[good]] b" },
            },
            options = new
            {
                judges = new[] { "default", "noschema", "contrarian" }, structuredOutput = true, budgetTokens = 1_000_000,
                critiqueRevise = false, reviewSampleSize = 0,
            },
        });
        Assert.Equal(202, started.Status);
        var runId = started.Json.GetProperty("runId").GetString()!;

        var status = await WaitForCompletedAsync(runId);
        Assert.Equal(1_000_000, status.GetProperty("progress").GetProperty("budgetTokens").GetInt64());
        Assert.True(status.GetProperty("progress").GetProperty("llm").GetProperty("byRole").TryGetProperty("judge:noschema", out _));

        var report = (await Send("GET", $"/api/runs/{runId}/report", (ctx, ct) => functions.GetReport(ctx.Request, runId, client, ct))).Json;
        var panel = report.GetProperty("judges").GetProperty("panel");
        Assert.Equal(["default", "noschema", "contrarian"], panel.EnumerateArray().Select(j => j.GetProperty("name").GetString()));
        Assert.True(panel[1].GetProperty("fellBackToText").GetBoolean());
        Assert.False(panel[0].GetProperty("fellBackToText").GetBoolean());
        // Two honest judges outvote the contrarian on both pairs.
        var rows = await fixture.PairRowsAsync(runId);
        Assert.Equal(["A", "B"], rows.OrderBy(r => r.RowKey).Select(r => r.GetString("Verdict")));
        Assert.Equal(0, report.GetProperty("judges").GetProperty("pairwise")[1].GetProperty("agree").GetInt32()); // default vs contrarian
        Assert.False(report.GetProperty("budget").GetProperty("stopped").GetBoolean());
    }

    [Fact]
    public async Task A_run_stamped_with_the_first_version_replays_its_steps_so_no_budget_stops_it()
    {
        // A run started by a build before budgets carries version 1.0; the orchestrator must take the steps it took
        // then, whatever its settings say.
        await using var v1 = Services(OrchestrationVersions.V1);
        var v1Client = v1.GetRequiredService<DurableTaskClient>();
        var v1Functions = ActivatorUtilities.CreateInstance<RunsFunctions>(v1);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var started = await Send("POST", "/api/runs", (ctx, ct) => v1Functions.StartRun(ctx.Request, v1Client, ct), new
        {
            items = Enumerable.Range(0, 12).Select(i => new { id = $"i{i}", prompt = $"{tag} {i}", response_a = $"answer {i} is longer", response_b = "short" }).ToArray(),
            options = new { budgetTokens = 1, critiqueRevise = false, reviewSampleSize = 0 },
        }, v1);
        Assert.Equal(202, started.Status);
        var runId = started.Json.GetProperty("runId").GetString()!;
        var instance = await fixture.Table(app.Host.HubName + "Instances").GetEntityAsync<Azure.Data.Tables.TableEntity>(runId, "");
        Assert.Equal(OrchestrationVersions.V1, instance.Value.GetString("Version"));

        var status = await WaitForCompletedAsync(runId);
        Assert.Equal(12, status.GetProperty("progress").GetProperty("pairsWritten").GetInt32());
        Assert.Equal(0, status.GetProperty("progress").GetProperty("skippedForBudget").GetInt32());
    }

    async Task<JsonElement> WaitForCompletedAsync(string runId)
    {
        var until = DateTime.UtcNow.AddSeconds(120);
        JsonElement status;
        do
        {
            await Task.Delay(200);
            status = (await Send("GET", $"/api/runs/{runId}", (ctx, ct) => functions.GetRun(ctx.Request, runId, client, ct))).Json;
            Assert.NotEqual("Failed", status.GetProperty("status").GetString());
        }
        while (status.GetProperty("status").GetString() != "Completed" && DateTime.UtcNow < until);
        Assert.Equal("Completed", status.GetProperty("status").GetString());
        return status;
    }

    Task<FnResponse> Send(string method, string path, Func<HttpContext, CancellationToken, Task<IResult>> function, object? body = null,
        IServiceProvider? requestServices = null) =>
        FunctionCall.SendAsync(requestServices ?? services, method, path, function, body);
}
