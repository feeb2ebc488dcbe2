using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SynthPref.Orchestration.Llm;

namespace SynthPref.Local.Extensions;

public static class TelemetryExtensions
{
    /// <summary>
    /// Exports the LLM calls' token and latency metrics and spans (<see cref="LlmTelemetry.SourceName"/>) over OTLP,
    /// to a collector, Aspire's dashboard or Jaeger, when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; otherwise nothing
    /// subscribes to them and they cost nothing.
    /// </summary>
    public static WebApplicationBuilder AddLlmTelemetry(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            return builder;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("SynthPref.Local"))
            .WithMetrics(m => m.AddMeter(LlmTelemetry.SourceName))
            .WithTracing(t => t.AddSource(LlmTelemetry.SourceName))
            .UseOtlpExporter();
        return builder;
    }
}
