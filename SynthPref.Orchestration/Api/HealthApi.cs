using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SynthPref.Orchestration.Health;

namespace SynthPref.Orchestration.Api;

/// <summary>One health check result as /api/health shows it; Problems lists a failing check's separate findings.</summary>
public sealed record HealthCheckEntry(
    string Status,
    string? Description,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Problems = null);

public sealed record HealthResponse(string Status, IReadOnlyDictionary<string, HealthCheckEntry> Checks);

/// <summary>
/// Health for both hosts, from the checks of <see cref="SynthPrefHealthChecks"/>: 200 while none is Unhealthy and 503
/// otherwise (as ASP.NET Core's health middleware maps them), with one body shape. /api/health/live asks only whether
/// the process is up; /api/health/ready asks storage, the task hub and the judge; /api/health is ready's answer, as
/// it has always been.
/// </summary>
public static class HealthApi
{
    public const string Route = "/api/health";
    public const string LiveRoute = "/api/health/live";
    public const string ReadyRoute = "/api/health/ready";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(Route, GetHealth);
        app.MapGet(LiveRoute, GetLive);
        app.MapGet(ReadyRoute, GetHealth);
        return app;
    }

    /// <summary>Ready: storage, the task hub and the judge. Also /api/health.</summary>
    /// <param name="client">The invocation's durable client where the host binds one per call (Functions); null
    /// where the container has it (the local host).</param>
    public static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> GetHealth(
        HealthCheckService health, DurableClientSlot slot, DurableTaskClient? client, CancellationToken ct)
    {
        HealthReport report;
        using (client is null ? null : slot.Lend(client))
            report = await health.CheckHealthAsync(c => c.Tags.Contains(SynthPrefHealthChecks.ReadyTag), ct);
        return Answer(report);
    }

    /// <summary>Live: the process is up. No storage call, no durable client, so a storage outage never fails it.</summary>
    public static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> GetLive(HealthCheckService health, CancellationToken ct) =>
        Answer(await health.CheckHealthAsync(c => c.Tags.Contains(SynthPrefHealthChecks.LiveTag), ct));

    static Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>> Answer(HealthReport report)
    {
        var body = new HealthResponse(report.Status.ToString(), report.Entries.ToDictionary(e => e.Key, e => new HealthCheckEntry(
            e.Value.Status.ToString(),
            e.Value.Description,
            e.Value.Data.TryGetValue("problems", out var problems) ? (string[])problems : null)));
        return report.Status == HealthStatus.Unhealthy
            ? TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable)
            : TypedResults.Ok(body);
    }
}
