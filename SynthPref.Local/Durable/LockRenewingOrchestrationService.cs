using System.Collections.Concurrent;
using DurableTask.Core;

namespace SynthPref.Local.Durable;

/// <summary>
/// Keeps each locked activity work item's lock alive until it is completed or abandoned, as Durable Functions'
/// dispatcher does. TaskHubGrpcServer's own dispatcher has RenewWorkItemAsync but never calls it, so without this
/// the queue message of an activity that runs longer than the visibility timeout reappears, and the activity runs
/// again while the first run is still going. With renewal the timeout only has to cover a crashed host: its locks
/// stop being renewed and its work is picked up again one timeout later.
/// Everything else passes straight through to the wrapped backend.
/// </summary>
public sealed class LockRenewingOrchestrationService(
    IOrchestrationService inner, TimeSpan visibilityTimeout, ILogger<LockRenewingOrchestrationService> logger)
    : IOrchestrationService, IDisposable
{
    readonly ConcurrentDictionary<string, Renewal> renewals = new(StringComparer.Ordinal);
    readonly CancellationTokenSource stopping = new();

    /// <summary>A third of the timeout, so two renewals in a row can fail (a storage blip) before the lock lapses.</summary>
    public TimeSpan RenewEvery { get; } = TimeSpan.FromMilliseconds(Math.Clamp(visibilityTimeout.TotalMilliseconds / 3, 500, 30_000));

    /// <summary>Work items whose locks are being kept alive now; for tests and diagnostics.</summary>
    public int Renewing => renewals.Count;

    public async Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        var workItem = await inner.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken);
        if (workItem is not null)
        {
            var renewal = new Renewal(workItem, CancellationTokenSource.CreateLinkedTokenSource(stopping.Token));
            if (renewals.TryAdd(workItem.Id, renewal))
                renewal.Loop = Task.Run(() => RenewUntilDoneAsync(renewal), CancellationToken.None);
            else
                renewal.Cancel.Dispose();
        }
        return workItem!;
    }

    public async Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage)
    {
        // The lock is held while completing, so a renewal never races the delete that ends the work item (a renewal
        // changes the message's pop receipt).
        var renewal = await StopRenewingAsync(workItem);
        try
        {
            await inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage);
        }
        finally
        {
            renewal?.Gate.Release();
        }
    }

    public async Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem)
    {
        var renewal = await StopRenewingAsync(workItem);
        try
        {
            await inner.AbandonTaskActivityWorkItemAsync(workItem);
        }
        finally
        {
            renewal?.Gate.Release();
        }
    }

    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) =>
        inner.RenewTaskActivityWorkItemLockAsync(workItem);

    async Task RenewUntilDoneAsync(Renewal renewal)
    {
        var ct = renewal.Cancel.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(RenewEvery, ct);
                await renewal.Gate.WaitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                if (ct.IsCancellationRequested) return;
                await inner.RenewTaskActivityWorkItemLockAsync(renewal.WorkItem);
            }
            catch (Exception e)
            {
                // Storage may be down for a moment; the next attempt comes well before the lock lapses.
                logger.LogWarning(e, "Renewing the lock of activity work item {WorkItem} failed; trying again in {Interval}",
                    renewal.WorkItem.Id, RenewEvery);
            }
            finally
            {
                renewal.Gate.Release();
            }
        }
    }

    /// <summary>Ends the work item's renewal and returns it with its gate held (released by the caller), or null when
    /// it was not being renewed.</summary>
    async Task<Renewal?> StopRenewingAsync(TaskActivityWorkItem workItem)
    {
        if (!renewals.TryRemove(workItem.Id, out var renewal)) return null;
        renewal.Cancel.Cancel();
        await renewal.Gate.WaitAsync();
        renewal.Cancel.Dispose();
        return renewal;
    }

    public void Dispose()
    {
        stopping.Cancel();
        stopping.Dispose();
    }

    sealed class Renewal(TaskActivityWorkItem workItem, CancellationTokenSource cancel)
    {
        public TaskActivityWorkItem WorkItem { get; } = workItem;
        public CancellationTokenSource Cancel { get; } = cancel;
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public Task? Loop { get; set; }
    }

    // Everything below passes through unchanged.
    public int TaskOrchestrationDispatcherCount => inner.TaskOrchestrationDispatcherCount;
    public int MaxConcurrentTaskOrchestrationWorkItems => inner.MaxConcurrentTaskOrchestrationWorkItems;
    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => inner.EventBehaviourForContinueAsNew;
    public int TaskActivityDispatcherCount => inner.TaskActivityDispatcherCount;
    public int MaxConcurrentTaskActivityWorkItems => inner.MaxConcurrentTaskActivityWorkItems;
    public Task StartAsync() => inner.StartAsync();
    public Task StopAsync() => inner.StopAsync();
    public Task StopAsync(bool isForced) => inner.StopAsync(isForced);
    public Task CreateAsync() => inner.CreateAsync();
    public Task CreateAsync(bool recreateInstanceStore) => inner.CreateAsync(recreateInstanceStore);
    public Task CreateIfNotExistsAsync() => inner.CreateIfNotExistsAsync();
    public Task DeleteAsync() => inner.DeleteAsync();
    public Task DeleteAsync(bool deleteInstanceStore) => inner.DeleteAsync(deleteInstanceStore);
    public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) =>
        inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);
    public int GetDelayInSecondsAfterOnProcessException(Exception exception) => inner.GetDelayInSecondsAfterOnProcessException(exception);
    public int GetDelayInSecondsAfterOnFetchException(Exception exception) => inner.GetDelayInSecondsAfterOnFetchException(exception);
    public Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken);
    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) => inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);
    public Task CompleteTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem, OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages, IList<TaskMessage> orchestratorMessages, IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage, OrchestrationState orchestrationState) =>
        inner.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages,
            timerMessages, continuedAsNewMessage, orchestrationState);
    public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.AbandonTaskOrchestrationWorkItemAsync(workItem);
    public Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.ReleaseTaskOrchestrationWorkItemAsync(workItem);
}
