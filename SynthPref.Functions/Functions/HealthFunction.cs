using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Health;

namespace SynthPref.Functions.Functions;

/// <summary>
/// /api/health, anonymous so probes need no key: the same checks, status codes and body as the local host
/// (<see cref="HealthApi"/>). The durable client is bound per invocation here, so the function lends it to the
/// durable check, which reaches the task hub through it.
/// </summary>
public sealed class HealthFunction(HealthCheckService health, DurableClientSlot slot)
{
    public const string FunctionName = "Health";

    [Function(FunctionName)]
    public async Task<IResult> Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest req,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct) =>
        await HealthApi.GetHealth(health, slot, client, ct);
}
