using Azure;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Health;

/// <summary>
/// The checks both hosts serve, registered once here so the two cannot drift. Live (<see cref="LiveTag"/>): the
/// process is up, with no call to anything. Ready (<see cref="ReadyTag"/>, and /api/health as before): storage, the
/// durable backend, and the judge's configuration. Each host adds only what it alone can observe about its durable
/// worker (<see cref="IDurableWorkerSignal"/>).
/// </summary>
public static class SynthPrefHealthChecks
{
    public const string Process = "process";
    public const string Storage = "storage";
    public const string Durable = "durable";
    public const string Judge = "judge";

    /// <summary>A liveness probe restarts what fails it, so it asks nothing of storage, whose outage a restart cannot fix.</summary>
    public const string LiveTag = "live";
    /// <summary>A readiness probe takes an instance out of rotation until storage, the task hub and the judge are usable.</summary>
    public const string ReadyTag = "ready";

    /// <summary>A check that has not answered by then is as good as down, and a probe must not hang on it.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static IServiceCollection AddSynthPrefHealthChecks(this IServiceCollection services)
    {
        services.AddSingleton<DurableClientSlot>();
        services.AddHealthChecks()
            .AddCheck(Process, () => HealthCheckResult.Healthy("The process is up and answering."), [LiveTag])
            .AddCheck<StorageHealthCheck>(Storage, tags: [ReadyTag], timeout: Timeout)
            .AddCheck<DurableHealthCheck>(Durable, tags: [ReadyTag], timeout: Timeout)
            .AddCheck<JudgeHealthCheck>(Judge, tags: [ReadyTag], timeout: Timeout);
        return services;
    }
}

/// <summary>What a host alone knows about its durable worker (the local host sees its gRPC work-item stream).</summary>
public interface IDurableWorkerSignal
{
    /// <summary>Null when the worker is connected, otherwise why not.</summary>
    string? Problem { get; }
}

/// <summary>
/// Storage is reachable and holds every container and table the product writes to. Listing is all it does, so it
/// needs no more rights than the app already has and leaves nothing behind.
/// </summary>
public sealed class StorageHealthCheck(StorageClients storage) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            var missing = new List<string>();
            foreach (var container in StorageNames.Containers)
                if (!(await storage.Container(container).ExistsAsync(ct)).Value)
                    missing.Add(container);
            var tables = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            await foreach (var table in storage.Tables.QueryAsync(cancellationToken: ct))
                tables.Add(table.Name);
            missing.AddRange(StorageNames.Tables.Where(t => !tables.Contains(t)));
            return missing.Count == 0
                ? HealthCheckResult.Healthy("Storage is reachable and every container and table exists.")
                : HealthCheckResult.Unhealthy($"Storage is reachable, but {string.Join(", ", missing)} do not exist yet.");
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or AggregateException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Storage is not reachable: " + e.Message);
        }
    }
}

/// <summary>
/// The durable client reaches the task hub (a one-row instance query travels the whole way: client, backend, hub
/// storage), and the host's own worker signal, where it has one, says the worker is connected.
/// </summary>
public sealed class DurableHealthCheck(DurableClientSlot slot, IServiceProvider services, IEnumerable<IDurableWorkerSignal> signals) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var client = slot.Current ?? services.GetService<DurableTaskClient>();
        if (client is null)
            return HealthCheckResult.Unhealthy("No durable client is available to reach the task hub.");
        foreach (var signal in signals)
            if (signal.Problem is { } problem)
                return HealthCheckResult.Unhealthy(problem);
        try
        {
            await foreach (var _ in client.GetAllInstancesAsync(new OrchestrationQuery { PageSize = 1 }).AsPages().WithCancellation(ct))
                break;
            return HealthCheckResult.Healthy(signals.Any()
                ? "The durable worker is connected and the task hub is reachable."
                : "The task hub is reachable through the durable client.");
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The task hub is not reachable: " + e.Message);
        }
    }
}

/// <summary>
/// Every run needs the judge, so a judge that cannot be built is a host that cannot do its job: the same problems
/// that make POST /api/runs answer 503 make health answer 503.
/// </summary>
public sealed class JudgeHealthCheck(IOptions<LlmOptions> llm) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var problems = llm.Value.Validate();
        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy($"The judge is configured ({llm.Value.Provider}).")
            : HealthCheckResult.Unhealthy("The judge is not configured: " + string.Join(" ", problems),
                data: new Dictionary<string, object> { ["problems"] = problems.ToArray() }));
    }
}

/// <summary>
/// Azure Functions binds its durable client per invocation, not in the container, so the health function lends its
/// client to the checks for the length of one health run; the local host's client comes from the container.
/// </summary>
public sealed class DurableClientSlot
{
    readonly AsyncLocal<DurableTaskClient?> current = new();

    public DurableTaskClient? Current => current.Value;

    public IDisposable Lend(DurableTaskClient client)
    {
        current.Value = client;
        return new Return(this);
    }

    sealed class Return(DurableClientSlot slot) : IDisposable
    {
        public void Dispose() => slot.current.Value = null;
    }
}
