using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SynthPref.Orchestration.Llm;

namespace SynthPref.Functions.Hosting;

public static class FunctionsTelemetry
{
    /// <summary>
    /// Sends the LLM calls' token and latency metrics and spans (<see cref="LlmTelemetry.SourceName"/>) to Application
    /// Insights when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, as the Bicep template sets it. With
    /// <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD</c> (the template's, since local auth is off) the
    /// exporter signs in as the app's managed identity, which holds Monitoring Metrics Publisher. Only these two
    /// signals are exported here: the Functions host already forwards the worker's logs.
    /// </summary>
    public static IServiceCollection AddLlmTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        if (string.IsNullOrWhiteSpace(connectionString))
            return services;
        var credential = CredentialFor(configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
        void Configure(AzureMonitorExporterOptions o) => o.ConnectionString = connectionString;
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("SynthPref.Functions"))
            .WithMetrics(m => m.AddMeter(LlmTelemetry.SourceName).AddAzureMonitorMetricExporter(Configure, credential))
            .WithTracing(t => t.AddSource(LlmTelemetry.SourceName).AddAzureMonitorTraceExporter(Configure, credential));
        return services;
    }

    /// <summary>"Authorization=AAD" (optionally ";ClientId=…" for a user-assigned identity) means Entra ID; else the key in
    /// the connection string.</summary>
    static TokenCredential? CredentialFor(string? authentication)
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
