using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Health;

namespace SynthPref.Functions.Functions;

/// <summary>
/// /api/health, /api/health/live and /api/health/ready, anonymous so probes need no key: the same checks, status codes
/// and body as the local host (<see cref="HealthApi"/>). The durable client is bound per invocation here, so the ready
/// functions lend it to the durable check, which reaches the task hub through it; live needs none.
/// </summary>
public sealed class HealthFunction(HealthCheckService health, DurableClientSlot slot)
{
    public const string FunctionName = "Health";
    public const string LiveFunctionName = "HealthLive";
    public const string ReadyFunctionName = "HealthReady";

    [Function(FunctionName)]
    public async Task<IResult> Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest req,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct) =>
        await HealthApi.GetHealth(health, slot, client, ct);

    [Function(LiveFunctionName)]
    public async Task<IResult> Live(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/live")] HttpRequest req,
        CancellationToken ct) =>
        await HealthApi.GetLive(health, ct);

    [Function(ReadyFunctionName)]
    public async Task<IResult> Ready(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/ready")] HttpRequest req,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct) =>
        await HealthApi.GetHealth(health, slot, client, ct);
}
