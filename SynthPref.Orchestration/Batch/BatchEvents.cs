using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace SynthPref.Orchestration.Batch;

/// <summary>Someone closed the run while its batch phase was under way (from 4.0): its open batches are cancelled. An
/// event of its own, not <c>ReviewClosed</c>, so a wait for it left behind by the batch phase never takes a close meant
/// for review.</summary>
[DurableEvent(Name)]
public sealed record BatchClosed
{
    public const string Name = "BatchClosed";
}

/// <summary>The batch event by type, as <c>ReviewEvents</c> gives the review events (the methods durabletask's source
/// generator would write).</summary>
public static class BatchEvents
{
    public static Task<BatchClosed> WaitForBatchClosedAsync(this TaskOrchestrationContext context, CancellationToken ct = default) =>
        context.WaitForExternalEvent<BatchClosed>(BatchClosed.Name, ct);

    public static Task RaiseAsync(this DurableTaskClient client, string runId, BatchClosed closed, CancellationToken ct = default) =>
        client.RaiseEventAsync(runId, BatchClosed.Name, closed, ct);
}
