using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SynthPref.FakeLlm;
using SynthPref.Functions.Hosting;
using SynthPref.Local.Extensions;
using SynthPref.Orchestration.Hosting;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;

namespace SynthPref.Tests.Functions;

/// <summary>Both hosts take their telemetry from one place, <see cref="ServiceDefaults"/>: a pipeline only when an
/// exporter is configured, so tests and a bare local run carry none, and then ASP.NET Core, HttpClient, the runtime and
/// the LLM calls in it.</summary>
public sealed class TelemetryWiringTests
{
    static bool HasPipeline(IServiceCollection services) =>
        services.Any(d => d.ServiceType == typeof(MeterProvider)) && services.Any(d => d.ServiceType == typeof(TracerProvider));

    [Fact]
    public void The_local_host_exports_over_otlp_only_when_an_endpoint_is_set()
    {
        Assert.False(HasPipeline(LocalHost.CreateBuilder(["--urls", "http://127.0.0.1:0"]).Services));
        Assert.True(HasPipeline(LocalHost.CreateBuilder(["--urls", "http://127.0.0.1:0", "--OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317"]).Services));
    }

    [Fact]
    public void The_functions_app_exports_to_application_insights_only_with_a_connection_string()
    {
        Assert.False(HasPipeline(FunctionsHost.Configure(FunctionsApplication.CreateBuilder([])).Services));

        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1/";
        builder.Configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] = "Authorization=AAD";
        Assert.True(HasPipeline(FunctionsHost.Configure(builder).Services));
    }

    [Fact]
    public async Task The_service_defaults_trace_and_measure_requests_http_calls_the_runtime_and_llm_calls_and_leave_probes_out()
    {
        await using var llm = await FakeOpenAiServer.StartAsync(_ => FakeReply.Answer("traced answer"));
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        // An exporter is configured, so the pipeline is built; the in-memory exporters beside it are what the test reads.
        builder.Configuration[ServiceDefaults.OtlpEndpointKey] = $"http://127.0.0.1:{Infrastructure.FreePort.Next()}";
        builder.AddServiceDefaults("SynthPref.TelemetryTest");
        builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
        builder.Services.ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(metrics));
        await using var app = builder.Build();
        using var judge = ChatClientFactory.Create(new LlmOptions
        {
            Provider = LlmProvider.OpenAICompatible, Endpoint = llm.BaseUrl.ToString(), Model = "otel-model",
        }, JudgePrompt.TryExtract);
        app.MapGet("/judge", async () => (await judge.ForRole("judge").GetResponseAsync([new ChatMessage(ChatRole.User, "hello")])).Text);
        app.MapGet("/api/health/live", () => "up");
        await app.StartAsync();
        using var http = new HttpClient
        {
            BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()),
        };
        Assert.Equal("traced answer", await http.GetStringAsync("/judge"));
        Assert.Equal("up", await http.GetStringAsync("/api/health/live"));
        await app.StopAsync();
        app.Services.GetRequiredService<TracerProvider>().ForceFlush();
        app.Services.GetRequiredService<MeterProvider>().ForceFlush();

        // One trace: the request, the LLM call inside it, and the HTTP call to the provider inside that. (The fake
        // provider is an ASP.NET Core app in this process too, so its own server span is in the trace as well.)
        var request = Assert.Single(spans, s => s.Kind == ActivityKind.Server && s.DisplayName == "GET /judge");
        var call = Assert.Single(spans, s => s.Source.Name == LlmTelemetry.SourceName);
        Assert.Equal(request.SpanId, call.ParentSpanId);
        var provider = Assert.Single(spans, s => s.Kind == ActivityKind.Client && s.Source.Name == "System.Net.Http"
                                                 && Equals(s.GetTagItem("server.port"), llm.BaseUrl.Port));
        Assert.Equal(request.TraceId, provider.TraceId);
        // The probe answered, and left no span.
        Assert.DoesNotContain(spans, s => s.DisplayName.Contains("/api/health", StringComparison.Ordinal));

        var names = metrics.Select(m => m.Name).ToHashSet();
        Assert.Contains("http.server.request.duration", names);
        Assert.Contains("http.client.request.duration", names);
        Assert.Contains("gen_ai.client.token.usage", names);
        Assert.Contains(names, n => n.StartsWith("dotnet.gc.", StringComparison.Ordinal));
    }
}
