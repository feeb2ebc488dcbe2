using Microsoft.Azure.Functions.Worker.Builder;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SynthPref.Functions.Hosting;
using SynthPref.Local.Extensions;

namespace SynthPref.Tests.Functions;

/// <summary>Each host exports the LLM calls' metrics and spans only when an exporter is configured, so tests and a bare
/// local run carry no OpenTelemetry pipeline at all.</summary>
public sealed class TelemetryWiringTests
{
    static bool HasPipeline(Microsoft.Extensions.DependencyInjection.IServiceCollection services) =>
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
}
