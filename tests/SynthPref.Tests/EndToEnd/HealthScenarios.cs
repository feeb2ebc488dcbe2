using System.Net;
using System.Net.Http.Json;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Health;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>A working host, anonymous, reports every check healthy, with the same checks and body on both hosts, and
/// its live and ready probes apart.</summary>
public abstract class HealthScenarios(TestPipeline fixture)
{
    [Collection(PipelineCollection.Name)]
    public sealed class OnLocalHost(PipelineFixture fixture) : HealthScenarios(fixture);

    [Collection(FunctionsHostCollection.Name), Trait("Host", HostKinds.Functions)]
    public sealed class OnFunctionsHost : HealthScenarios
    {
        public OnFunctionsHost(FunctionsPipelineFixture fixture) : base(fixture) => FunctionsPipelineFixture.SkipUnlessAvailable();
    }

    [SkippableFact]
    public async Task A_working_host_reports_every_check_healthy()
    {
        using var anonymous = fixture.Host.CreateClient();
        using var response = await anonymous.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var health = (await response.Content.ReadFromJsonAsync<HealthResponse>(SynthPrefApi.Json))!;
        Assert.Equal("Healthy", health.Status);
        Assert.Equal([SynthPrefHealthChecks.Durable, SynthPrefHealthChecks.Judge, SynthPrefHealthChecks.Storage], health.Checks.Keys.Order());
        Assert.All(health.Checks.Values, c => Assert.Equal("Healthy", c.Status));
        // The local host also knows its worker's stream is connected; under Functions the host owns the worker, so
        // reaching the hub through the client is what is checked.
        Assert.Equal(fixture.Kind == HostKinds.Local
                ? "The durable worker is connected and the task hub is reachable."
                : "The task hub is reachable through the durable client.",
            health.Checks[SynthPrefHealthChecks.Durable].Description);

        // Ready gives /api/health's answer; live checks the process alone, calling nothing.
        var ready = (await anonymous.GetFromJsonAsync<HealthResponse>("/api/health/ready", SynthPrefApi.Json))!;
        Assert.Equal(health.Checks.Keys.Order(), ready.Checks.Keys.Order());
        Assert.All(ready.Checks.Values, c => Assert.Equal("Healthy", c.Status));
        using var liveResponse = await anonymous.GetAsync("/api/health/live");
        Assert.Equal(HttpStatusCode.OK, liveResponse.StatusCode);
        var live = (await liveResponse.Content.ReadFromJsonAsync<HealthResponse>(SynthPrefApi.Json))!;
        Assert.Equal("Healthy", live.Status);
        Assert.Equal([SynthPrefHealthChecks.Process], live.Checks.Keys);
    }
}
