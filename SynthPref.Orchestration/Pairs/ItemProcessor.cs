using Azure;
using Microsoft.Extensions.Options;
using SynthPref.Orchestration.Generation;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Revision;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Pairs;

/// <summary>How one run treats each item.</summary>
public sealed record ItemSettings(bool SwapPositions, bool CritiqueRevise, bool Cache);

/// <summary>What a run of consecutive items came to: items done, pairs stored, items with a failed step (each step
/// recorded in the <see cref="FailureStore"/>), the first failure's text, and the LLM usage by role.</summary>
public sealed record ItemsResult(int Items, int Pairs, int FailedItems, string? FirstError, IReadOnlyDictionary<string, LlmUsage> Usage);

/// <summary>
/// Items from input to stored pairs, one after another: generate (prompt-only items), then judge and critique-revise
/// side by side.
/// Each step stands alone: a failed critique leaves the item's judge pair standing. LLM failures are the item's
/// outcome, not the activity's: they were already retried where that makes sense (the SDK pipeline), so retrying
/// the whole item would only multiply calls. Storage failures do escape, for the durable layer to retry; the
/// response cache makes that retry free for every call already answered.
/// </summary>
public sealed class ItemProcessor(
    InputStore input, PairStore pairs, FailureStore failures, ResponseGenerator generator, PairwiseJudge judge,
    ConstitutionalReviser reviser, IOptions<LlmOptions> llm, TableDistributedCache? cache = null)
{
    /// <summary>
    /// Items [start, start + count): read with one request, processed in order (the caller runs many such ranges side
    /// by side, so each range is one lane of the run's window), and their pairs written together at the end.
    /// </summary>
    public async Task<ItemsResult> ProcessAsync(string runId, int start, int count, ItemSettings settings, CancellationToken ct)
    {
        using var scope = LlmCallScope.Begin(settings.Cache);
        var items = await input.ReadItemsAsync(runId, start, count, settings.CritiqueRevise, ct);
        // The judge calls of every item are known up front: one query finds those already paid for.
        if (cache is not null)
            await cache.PrefetchAsync(items.Where(i => i.HasBothResponses)
                .SelectMany(i => judge.CacheKeys(i.Prompt, i.ResponseA!, i.ResponseB!, settings.SwapPositions)), ct);
        var written = new List<PreferencePair>();
        var failed = new List<ItemFailure>();
        var failedItems = 0;
        foreach (var item in items)
        {
            var failuresBefore = failed.Count;
            await ProcessItemAsync(runId, item, settings, written, failed, ct);
            if (failed.Count > failuresBefore) failedItems++;
        }
        await pairs.SaveAllAsync(runId, written, ct);
        foreach (var failure in failed)
            await failures.RecordAsync(runId, failure, ct);
        return new ItemsResult(items.Count, written.Count, failedItems, failed.Count > 0 ? Describe(failed[0]) : null, scope.Snapshot());
    }

    async Task ProcessItemAsync(string runId, InputItem item, ItemSettings settings, List<PreferencePair> written, List<ItemFailure> failed,
        CancellationToken ct)
    {
        if (item.NeedsGeneration)
        {
            try
            {
                item = await generator.GenerateAsync(item, ct);
            }
            catch (Exception e) when (IsStepFailure(e, ct))
            {
                failed.Add(Failure(item, ItemSteps.Generate, e));
                return;
            }
        }

        var steps = new List<(string Name, Task<PreferencePair> Pair)>();
        if (item.HasBothResponses)
            steps.Add((ItemSteps.Judge, JudgeAsync(runId, item, settings.SwapPositions, ct)));
        if (settings.CritiqueRevise)
            steps.Add((ItemSteps.Revise, ReviseAsync(runId, item, ct)));

        foreach (var (name, task) in steps)
        {
            try
            {
                written.Add(await task);
            }
            catch (Exception e) when (IsStepFailure(e, ct))
            {
                failed.Add(Failure(item, name, e));
            }
        }
    }

    async Task<PreferencePair> JudgeAsync(string runId, InputItem item, bool swap, CancellationToken ct)
    {
        var verdict = await judge.JudgeAsync(item.Prompt, item.ResponseA!, item.ResponseB!, swap, ct);
        return new PreferencePair(
            runId, PreferencePair.KeyFor(item.Index, PairSource.Judge), item.Index, item.Id, item.Category,
            PairSource.Judge, item.Prompt, item.ResponseA!, item.ResponseB!, item.ModelA, item.ModelB,
            verdict.Preference, verdict.Confidence, verdict.Reasoning, verdict.JudgedBothOrders, verdict.PositionInconsistent,
            verdict.Forward.Preference, verdict.Swapped?.Preference, verdict.Calls, llm.Value.JudgeModelName());
    }

    /// <summary>Critique → revise on response_a; the revision is stored as A and wins by construction.</summary>
    async Task<PreferencePair> ReviseAsync(string runId, InputItem item, CancellationToken ct)
    {
        var original = item.ResponseA ?? throw new InvalidOperationException($"Item {item.Id} has no response_a to revise.");
        var revision = await reviser.ReviseAsync(item.Prompt, original, ct);
        return new PreferencePair(
            runId, PreferencePair.KeyFor(item.Index, PairSource.Revision), item.Index, item.Id, item.Category,
            PairSource.Revision, item.Prompt, revision.Revised, original, "critique-revise", item.ModelA,
            Preference.A, Confidence: null, Reasoning: revision.Critique, JudgedBothOrders: false, PositionInconsistent: false,
            ForwardCall: null, SwappedCall: null, JudgeCalls: 0);
    }

    /// <summary>Anything but a storage failure (the durable layer's to retry) or the host shutting down.</summary>
    static bool IsStepFailure(Exception e, CancellationToken ct) => e is not RequestFailedException && !ct.IsCancellationRequested;

    static ItemFailure Failure(InputItem item, string step, Exception e) =>
        new(item.Index, item.Id, step, LlmErrors.Describe(e), DateTimeOffset.UtcNow);

    static string Describe(ItemFailure f) => $"item {f.ItemIndex} {f.Step}: {f.Error}";
}
