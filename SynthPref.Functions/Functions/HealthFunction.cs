using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using SynthPref.Functions.Hosting;

namespace SynthPref.Functions.Functions;

/// <summary>
/// /api/health, anonymous so probes need no key. The worker is running if this answers at all, so the one
/// thing left to report is whether the storage containers and tables are in place (the local host reports
/// its durable worker connection the same way: 200 when ready, 503 while starting).
/// </summary>
public sealed class HealthFunction(StorageReadiness storage)
{
    [Function("Health")]
    public IResult Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest req) =>
        storage.IsReady
            ? Results.Ok(new { status = "healthy", worker = "connected", storage = "ready" })
            : Results.Json(new { status = "starting", worker = "connected", storage = "not ready", error = storage.LastError },
                statusCode: StatusCodes.Status503ServiceUnavailable);
}
