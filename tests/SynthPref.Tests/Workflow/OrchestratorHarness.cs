using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Batch;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Trust;
using SynthPref.Orchestration.Workflow;
using SynthPref.Orchestration.Workflow.Activities;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Workflow;

/// <summary>
/// The real <see cref="RunOrchestrator"/> on Durable Task's in-memory DurableTaskTestHost (or the same backend with a
/// recording server in the middle, to keep a run's history), with stand-ins for the activities
/// that need storage. The stand-ins keep the one piece of storage state the orchestration depends on, the review
/// phase (first reason to end it wins, a close before it opens skips it), as the real review stage does.
/// </summary>
public sealed class OrchestratorHarness : IAsyncDisposable
{
    readonly ConcurrentQueue<ItemsRequest> itemCalls = new();
    readonly ConcurrentQueue<ReportRequest> reports = new();
    readonly ConcurrentQueue<RecordFailureRequest> recordedFailures = new();
    readonly ConcurrentQueue<OpenReviewRequest> openRequests = new();
    readonly ConcurrentQueue<NextReviewRoundRequest> roundRequests = new();
    readonly ConcurrentQueue<EscalationRequest> escalationRequests = new();
    readonly ConcurrentQueue<CollectBatchRequest> collects = new();
    readonly ConcurrentQueue<SubmitBatchesRequest> submits = new();
    readonly ConcurrentQueue<BatchCycleRequest> checks = new();
    readonly ConcurrentQueue<BatchCycleRequest> cancels = new();
    readonly ConcurrentQueue<BatchCycleRequest> ingests = new();
    readonly object phaseLock = new();
    ReviewEnd? endedBy;
    bool opened;
    int audits;

    DurableTaskTestHost? testHost;
    WebApplication? sidecar;
    IHost? worker;

    public int Items { get; init; } = 2;

    /// <summary>What the loading step does; by default it finds <see cref="Items"/> items.</summary>
    public Func<LoadInputRequest, LoadedInput>? LoadInput { get; set; }

    /// <summary>What one attempt at a lane of items does; by default it writes one pair per item.</summary>
    public Func<ItemsRequest, Task<ItemsResult>> ProcessItems { get; set; } =
        r => Task.FromResult(new ItemsResult(r.Count, r.Count, 0, null, new Dictionary<string, LlmUsage> { ["judge"] = new(2 * r.Count, 2 * r.Count, 10, 5) }));

    public int SampledItems { get; init; } = 2;

    /// <summary>What the adaptive round activity answers; by default that the rounds stopped with every target met.</summary>
    public Func<NextReviewRoundRequest, ReviewRoundResult> NextRound { get; set; } =
        r => new ReviewRoundResult(true, r.Round, 0, 0, RoundsStop.TargetsMet);

    /// <summary>What the escalation activity answers; by default that it drew one more round of one item.</summary>
    public Func<EscalationRequest, ReviewRoundResult> Escalate { get; set; } =
        r => new ReviewRoundResult(true, r.Round + 1, 1, r.Round + 2, null);

    /// <summary>What a collecting lane finds; by default one part of one request per item in the first cycle, and
    /// nothing after (every request answered).</summary>
    public Func<CollectBatchRequest, CollectedRequests> CollectBatch { get; set; } = r => new CollectedRequests(
        r.Cycle == 1 ? [new BatchPart("Llm", "judge", $"{r.RunId}/batch/c{r.Cycle:D3}/g/part-{r.Start:D9}.jsonl", r.Count, 100 * r.Count)] : [], 0);

    /// <summary>The provider's state of a cycle's batches at its n-th check (1-based); completed at the first by default.</summary>
    public Func<BatchCycleRequest, int, BatchesStatus> CheckBatches { get; set; } = (r, _) => Batches(r.Cycle, "completed", 2);

    /// <summary>What a cycle's ingest brings home; by default every request of its batch answered.</summary>
    public Func<BatchCycleRequest, BatchIngest> IngestBatches { get; set; } = r => new BatchIngest(
        new Dictionary<string, LlmUsage> { ["judge"] = new(InputTokens: 20, OutputTokens: 10, BatchAnswers: 2, BatchInputTokens: 20, BatchOutputTokens: 10) }, 2, 0);

    /// <summary>Submits throw this when set.</summary>
    public string? SubmitFailure { get; set; }

    public static BatchesStatus Batches(int cycle, string state, int requests, int completed = -1, int failed = 0) =>
        new([new BatchView($"batch-c{cycle}", "judge", state, requests, completed < 0 ? (state == "completed" ? requests : 0) : completed, failed)]);

    public IReadOnlyList<CollectBatchRequest> Collects => collects.ToArray();
    public IReadOnlyList<SubmitBatchesRequest> Submits => submits.ToArray();
    public IReadOnlyList<BatchCycleRequest> Checks => checks.ToArray();
    public IReadOnlyList<BatchCycleRequest> Cancels => cancels.ToArray();
    public IReadOnlyList<BatchCycleRequest> Ingests => ingests.ToArray();

    public DurableTaskClient Client => testHost?.Client ?? worker!.Services.GetRequiredService<DurableTaskClient>();

    /// <summary>With <see cref="Record"/>: every orchestrator turn, the history the worker was given and what it answered.</summary>
    public RecordingTaskHubGrpcServer? Backend { get; private set; }

    /// <summary>Runs on the same in-memory backend with a recording server in the middle instead of DurableTaskTestHost.</summary>
    public bool Record { get; init; }
    public IReadOnlyList<ItemsRequest> ItemCalls => itemCalls.ToArray();
    public IReadOnlyList<ReportRequest> Reports => reports.ToArray();
    public IReadOnlyList<RecordFailureRequest> RecordedFailures => recordedFailures.ToArray();
    public IReadOnlyList<OpenReviewRequest> OpenRequests => openRequests.ToArray();
    public IReadOnlyList<NextReviewRoundRequest> RoundRequests => roundRequests.ToArray();
    public IReadOnlyList<EscalationRequest> EscalationRequests => escalationRequests.ToArray();
    public int Audits => Volatile.Read(ref audits);

    public static async Task<OrchestratorHarness> StartAsync(OrchestratorHarness harness)
    {
        if (harness.Record)
            (harness.sidecar, harness.worker, harness.Backend) = await RecordingTaskHubGrpcServer.StartAsync(FreePort.Next(), harness.Register);
        else
            harness.testHost = await DurableTaskTestHost.StartAsync(harness.Register, new DurableTaskTestHostOptions
            {
                Port = FreePort.Next(),
                // As both hosts register it: failures carry their storage status and input errors as properties.
                ConfigureServices = services => services.AddSingleton<IExceptionPropertiesProvider, FailureProperties>(),
            });
        return harness;
    }

    /// <summary>What the API does on a close: end the phase in storage; the caller raises the event if it was open.</summary>
    public bool CloseInStorage(ReviewEnd reason)
    {
        lock (phaseLock)
        {
            endedBy ??= reason;
            return opened;
        }
    }

    void Register(DurableTaskRegistry r) => r
        .AddOrchestrator<RunOrchestrator>()
        .AddActivityFunc<LoadInputRequest, LoadedInput>(nameof(LoadInputActivity), (_, request) => LoadInput?.Invoke(request) ?? new LoadedInput(Items, 0, 0))
        .AddActivityFunc<ItemsRequest, ItemsResult>(nameof(ProcessItemsActivity), (_, request) =>
        {
            itemCalls.Enqueue(request);
            return ProcessItems(request);
        })
        .AddActivityFunc<CollectBatchRequest, CollectedRequests>(nameof(CollectBatchRequestsActivity), (_, request) =>
        {
            collects.Enqueue(request);
            return CollectBatch(request);
        })
        .AddActivityFunc<SubmitBatchesRequest, BatchesStatus>(nameof(SubmitBatchesActivity), (_, request) =>
        {
            submits.Enqueue(request);
            if (SubmitFailure is { } failure) throw new InvalidOperationException(failure);
            return Batches(request.Cycle, "validating", request.Parts.Sum(p => p.Requests));
        })
        .AddActivityFunc<BatchCycleRequest, BatchesStatus>(nameof(CheckBatchesActivity), (_, request) =>
        {
            checks.Enqueue(request);
            return CheckBatches(request, checks.Count(c => c.Cycle == request.Cycle));
        })
        .AddActivityFunc<BatchCycleRequest, BatchesStatus>(nameof(CancelBatchesActivity), (_, request) =>
        {
            cancels.Enqueue(request);
            return Batches(request.Cycle, "cancelling", 2);
        })
        .AddActivityFunc<BatchCycleRequest, BatchIngest>(nameof(IngestBatchesActivity), (_, request) =>
        {
            ingests.Enqueue(request);
            return IngestBatches(request);
        })
        .AddActivityFunc<RecordFailureRequest, bool>(nameof(RecordItemFailureActivity), (_, request) =>
        {
            recordedFailures.Enqueue(request);
            return true;
        })
        .AddActivityFunc<string, BiasReport>(nameof(AuditPairsActivity), (_, _) =>
        {
            Interlocked.Increment(ref audits);
            return BiasAuditor.Audit([]);
        })
        .AddActivityFunc<OpenReviewRequest, ReviewOpened>(nameof(OpenReviewActivity), (_, request) =>
        {
            openRequests.Enqueue(request);
            lock (phaseLock)
            {
                if (SampledItems == 0) return new ReviewOpened(0, false);
                opened = endedBy is null;
                return new ReviewOpened(SampledItems, ClosedEarly: endedBy is not null);
            }
        })
        .AddActivityFunc<NextReviewRoundRequest, ReviewRoundResult>(nameof(NextReviewRoundActivity), (_, request) =>
        {
            roundRequests.Enqueue(request);
            return NextRound(request);
        })
        .AddActivityFunc<EscalationRequest, ReviewRoundResult>(nameof(EscalateReviewActivity), (_, request) =>
        {
            escalationRequests.Enqueue(request);
            return Escalate(request);
        })
        .AddActivityFunc<CloseReviewRequest, ReviewEnd>(nameof(CloseReviewActivity), (_, request) =>
        {
            lock (phaseLock)
                return endedBy ??= request.EndedBy;
        })
        .AddActivityFunc<ReportRequest, ReportOutputs>(nameof(BuildReportActivity), (_, request) =>
        {
            reports.Enqueue(request);
            return new ReportOutputs(request.Judging.PairsWritten, request.Judging.PairsWritten, "report.json", "report.html", "dataset.jsonl",
                request.Settings?.TrustTarget is null ? null : "escalated.jsonl", request.Settings?.TrustTarget is null ? 0 : 1);
        });

    /// <param name="maxFailedItemsRatio">1 by default, so a test about one failure is not also a test of the ratio.</param>
    /// <summary>A plan batching the default judge from the Llm section, asking every second (the timers are real).</summary>
    public static BatchPlan JudgeBatch(bool fallbackLive = true) => new([new BatchRole("judge", "Llm", fallbackLive)], PollSeconds: 1);

    public static RunInput Input(string runId, int itemsPerExecution = 500, int window = 4, int itemsPerActivity = 1,
        double maxFailedItemsRatio = 1, double? targetCiWidth = null, int? maxReviewSampleSize = null, double? trustTarget = null,
        Escalation escalate = Escalation.None, int maxEscalatedReviews = TrustCalibration.DefaultMaxEscalatedReviews, BatchPlan? batch = null) => new(
        runId, "orchestrator test", "http", "items", $"synthpref-runs/{runId}/input.jsonl",
        new RunSettings(SwapPositions: true, CritiqueRevise: false, ReviewSampleSize: 20, MinReviewsPerItem: 1,
            ReviewDeadline: TimeSpan.FromDays(7), Seed: 7, Cache: true, Window: window, ItemsPerActivity: itemsPerActivity,
            ItemsPerExecution: itemsPerExecution, MaxFailedItemsPerMillion: (int)(maxFailedItemsRatio * 1_000_000),
            TargetCiWidth: targetCiWidth, MaxReviewSampleSize: maxReviewSampleSize, TrustTarget: trustTarget, Escalate: escalate,
            MaxEscalatedReviews: maxEscalatedReviews, Batch: batch));

    /// <summary>Starts a run stamped with this build's version, as both hosts stamp new runs.</summary>
    public async Task<string> StartRunAsync(RunInput input, string version = OrchestrationVersions.Current)
    {
        await Client.ScheduleNewOrchestrationInstanceAsync(nameof(RunOrchestrator), input,
            new StartOrchestrationOptions { InstanceId = input.RunId, Version = version });
        return input.RunId;
    }

    /// <summary>Polls the run's published status until it satisfies <paramref name="condition"/>.</summary>
    public async Task<RunProgress> WaitForStatusAsync(string runId, Func<RunProgress, bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var progress = (await Client.GetInstanceAsync(runId, getInputsAndOutputs: true))?.ReadCustomStatusAs<RunProgress>();
            if (progress is not null && condition(progress)) return progress;
            Assert.True(DateTime.UtcNow < until, $"the run's status never got there; last {progress}");
            await Task.Delay(50);
        }
    }

    public async Task<OrchestrationMetadata> WaitForEndAsync(string runId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await Client.WaitForInstanceCompletionAsync(runId, getInputsAndOutputs: true, timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (testHost is not null) await testHost.DisposeAsync();
        if (worker is not null)
        {
            await worker.StopAsync();
            worker.Dispose();
        }
        if (sidecar is not null) await sidecar.DisposeAsync();
    }
}
