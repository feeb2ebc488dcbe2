using Azure;
using Microsoft.Extensions.Options;
using SynthPref.Orchestration.Generation;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Revision;

namespace SynthPref.Orchestration.Pairs;

/// <summary>How one run treats each item.</summary>
public sealed record ItemSettings(bool SwapPositions, bool CritiqueRevise, bool Cache);

/// <summary>What one item came to: pairs stored, steps that failed (each recorded in the <see cref="FailureStore"/>),
/// the first failure's text, and the LLM usage by role.</summary>
public sealed record ItemResult(int Pairs, int FailedSteps, string? FirstError, IReadOnlyDictionary<string, LlmUsage> Usage);

/// <summary>
/// One item from input to stored pairs: generate (prompt-only items), then judge and critique-revise side by side.
/// Each step stands alone: a failed critique leaves the item's judge pair standing. LLM failures are the item's
/// outcome, not the activity's: they were already retried where that makes sense (the SDK pipeline), so retrying
/// the whole item would only multiply calls. Storage failures do escape, for the durable layer to retry; the
/// response cache makes that retry free for every call already answered.
/// </summary>
public sealed class ItemProcessor(
    InputStore input, PairStore pairs, FailureStore failures, ResponseGenerator generator, PairwiseJudge judge,
    ConstitutionalReviser reviser, IOptions<LlmOptions> llm)
{
    public async Task<ItemResult> ProcessAsync(string runId, int index, ItemSettings settings, CancellationToken ct)
    {
        using var scope = LlmCallScope.Begin(settings.Cache);
        var item = await input.ReadItemAsync(runId, index, settings.CritiqueRevise, ct);
        var failed = new List<ItemFailure>();

        if (item.NeedsGeneration)
        {
            try
            {
                item = await generator.GenerateAsync(item, ct);
            }
            catch (Exception e) when (IsStepFailure(e, ct))
            {
                failed.Add(Failure(item, ItemSteps.Generate, e));
                return await FinishAsync(runId, 0, failed, scope, ct);
            }
        }

        var steps = new List<(string Name, Task<PreferencePair> Pair)>();
        if (item.HasBothResponses)
            steps.Add((ItemSteps.Judge, JudgeAsync(runId, item, settings.SwapPositions, ct)));
        if (settings.CritiqueRevise)
            steps.Add((ItemSteps.Revise, ReviseAsync(runId, item, ct)));

        var written = 0;
        foreach (var (name, task) in steps)
        {
            PreferencePair pair;
            try
            {
                pair = await task;
            }
            catch (Exception e) when (IsStepFailure(e, ct))
            {
                failed.Add(Failure(item, name, e));
                continue;
            }
            await pairs.SaveAsync(pair, ct);
            written++;
        }
        return await FinishAsync(runId, written, failed, scope, ct);
    }

    async Task<ItemResult> FinishAsync(string runId, int written, List<ItemFailure> failed, LlmCallScope scope, CancellationToken ct)
    {
        foreach (var failure in failed)
            await failures.RecordAsync(runId, failure, ct);
        return new ItemResult(written, failed.Count, failed.Count > 0 ? Describe(failed[0]) : null, scope.Snapshot());
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
    static bool IsStepFailure(Exception e, CancellationToken ct) => !IsStorageFailure(e) && !ct.IsCancellationRequested;

    /// <summary>Issue 9: the storage SDK reports a request whose own retries all failed (the account unreachable, say, while
    /// the response cache is read) as an AggregateException of them; that is storage's failure too, not the step's.</summary>
    static bool IsStorageFailure(Exception e) =>
        e is RequestFailedException || e is AggregateException { InnerExceptions.Count: > 0 } a && a.InnerExceptions.All(IsStorageFailure);

    static ItemFailure Failure(InputItem item, string step, Exception e) =>
        new(item.Index, item.Id, step, LlmErrors.Describe(e), DateTimeOffset.UtcNow);

    static string Describe(ItemFailure f) => $"item {f.ItemIndex} {f.Step}: {f.Error}";
}
