using Microsoft.DurableTask;
using SynthPref.Orchestration.Batch;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Workflow.Activities;

/// <summary>A collecting pass over a lane of items: the requests the cache cannot answer, as batch lines in the run's
/// folder (see <see cref="ItemProcessor.CollectAsync"/>).</summary>
public sealed class CollectBatchRequestsActivity(ItemProcessor processor, StorageClients storage, BatchStore store)
    : TaskActivity<CollectBatchRequest, CollectedRequests>
{
    public override async Task<CollectedRequests> RunAsync(TaskActivityContext context, CollectBatchRequest request)
    {
        await using var collector = new BatchCollector(storage, store, request.RunId, request.Cycle, request.Start, request.Plan, request.CheckAttempts);
        await processor.CollectAsync(request.RunId, request.Cycle, request.Start, request.Count, request.Settings, collector, collector.FlushAsync, CancellationToken.None);
        return await collector.CompleteAsync(CancellationToken.None);
    }
}

/// <summary>Uploads a cycle's input files and creates its batches; see <see cref="BatchSubmitter"/> for why a retry
/// never creates a second one.</summary>
public sealed class SubmitBatchesActivity(BatchSubmitter submitter) : TaskActivity<SubmitBatchesRequest, BatchesStatus>
{
    public override async Task<BatchesStatus> RunAsync(TaskActivityContext context, SubmitBatchesRequest request) =>
        BatchesStatus.Of(await submitter.SubmitAsync(request.RunId, request.Cycle, request.Parts, CancellationToken.None));
}

/// <summary>Asks the provider how a cycle's batches stand.</summary>
public sealed class CheckBatchesActivity(BatchMonitor monitor) : TaskActivity<BatchCycleRequest, BatchesStatus>
{
    public override Task<BatchesStatus> RunAsync(TaskActivityContext context, BatchCycleRequest request) =>
        monitor.CheckAsync(request.RunId, request.Cycle, CancellationToken.None);
}

/// <summary>Cancels a cycle's batches still running (the run was closed).</summary>
public sealed class CancelBatchesActivity(BatchMonitor monitor) : TaskActivity<BatchCycleRequest, BatchesStatus>
{
    public override Task<BatchesStatus> RunAsync(TaskActivityContext context, BatchCycleRequest request) =>
        monitor.CancelAsync(request.RunId, request.Cycle, CancellationToken.None);
}

/// <summary>Writes a cycle's batch answers into the response cache and counts their tokens.</summary>
public sealed class IngestBatchesActivity(BatchIngester ingester) : TaskActivity<BatchCycleRequest, BatchIngest>
{
    public override Task<BatchIngest> RunAsync(TaskActivityContext context, BatchCycleRequest request) =>
        ingester.IngestAsync(request.RunId, request.Cycle, CancellationToken.None);
}
