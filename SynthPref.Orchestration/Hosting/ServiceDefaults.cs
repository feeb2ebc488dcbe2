using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Llm;

namespace SynthPref.Orchestration.Hosting;

/// <summary>
/// What every SynthPref host has, whatever hosts it (after dotnet/eShop's ServiceDefaults): ProblemDetails,
/// OpenTelemetry for ASP.NET Core, HttpClient, the .NET runtime and the LLM calls (<see cref="LlmTelemetry"/>), and the
/// health endpoints (<see cref="MapDefaultEndpoints"/>: live, ready, and /api/health as it always was). The health
/// checks themselves come with <see cref="ServiceCollectionExtensions.AddSynthPrefCore"/>.
/// </summary>
public static class ServiceDefaults
{
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string AppInsightsConnectionKey = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AppInsightsAuthenticationKey = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder, string serviceName)
    {
        builder.Services.AddProblemDetails();
        builder.ConfigureOpenTelemetry(serviceName);
        return builder;
    }

    /// <summary>
    /// Exports over OTLP (a collector, Aspire's dashboard, Jaeger) when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, and
    /// to Application Insights when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is, as the Bicep template sets it for
    /// the Functions app. With neither, no pipeline is built: nothing listens, and the instruments cost next to nothing.
    /// </summary>
    public static IHostApplicationBuilder ConfigureOpenTelemetry(this IHostApplicationBuilder builder, string serviceName)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointKey]);
        var appInsights = builder.Configuration[AppInsightsConnectionKey];
        if (!otlp && string.IsNullOrWhiteSpace(appInsights))
            return builder;

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(LlmTelemetry.SourceName))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = IsTraced)
                .AddHttpClientInstrumentation(o => o.FilterHttpRequestMessage = r => !IsGrpc(r.Content?.Headers.ContentType?.MediaType))
                .AddSource(LlmTelemetry.SourceName));
        if (otlp)
        {
            builder.Logging.AddOpenTelemetry(logging =>
            {
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
            });
            telemetry.UseOtlpExporter();
        }
        if (!string.IsNullOrWhiteSpace(appInsights))
        {
            // Metrics and spans only: the Functions host already forwards the worker's logs.
            var credential = CredentialFor(builder.Configuration[AppInsightsAuthenticationKey]);
            void Configure(AzureMonitorExporterOptions o) => o.ConnectionString = appInsights;
            telemetry.WithMetrics(m => m.AddAzureMonitorMetricExporter(Configure, credential))
                .WithTracing(t => t.AddAzureMonitorTraceExporter(Configure, credential));
        }
        return builder;
    }

    /// <summary>/api/health, /api/health/live and /api/health/ready (<see cref="HealthApi"/>).</summary>
    public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder app) => app.MapHealthApi();

    /// <summary>Probes and the durable worker's gRPC traffic to its own loopback server would drown the spans that matter.</summary>
    static bool IsTraced(HttpContext context) =>
        !context.Request.Path.StartsWithSegments(HealthApi.Route) && !IsGrpc(context.Request.ContentType);

    static bool IsGrpc(string? contentType) => contentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>"Authorization=AAD" (optionally ";ClientId=…" for a user-assigned identity) means Entra ID, as the template
    /// sets it since local auth is off; else the key in the connection string.</summary>
    public static TokenCredential? CredentialFor(string? authentication)
    {
        if (string.IsNullOrWhiteSpace(authentication)
            || !authentication.Contains("Authorization=AAD", StringComparison.OrdinalIgnoreCase))
            return null;
        var clientId = authentication.Split(';').Select(p => p.Split('=', 2))
            .FirstOrDefault(kv => kv.Length == 2 && kv[0].Trim().Equals("ClientId", StringComparison.OrdinalIgnoreCase))?[1].Trim();
        return string.IsNullOrEmpty(clientId)
            ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
    }
}
