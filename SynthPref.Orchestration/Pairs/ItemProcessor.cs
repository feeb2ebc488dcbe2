using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using Azure;
using SynthPref.Orchestration.Generation;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Revision;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Pairs;

/// <summary>What a run of consecutive items came to: items done, pairs stored, items with a failed step (each step
/// recorded in the <see cref="FailureStore"/>), the first failure's text, the LLM usage by role, the judges whose
/// endpoint refused structured output (text-only from then on; "FellBackJudges" on the wire), and the decisive judge
/// pairs stored by their trust points. DecisivePairs and UnparseablePairs: the stored pairs whose verdict is A or B, and
/// Unparseable. FailedSteps: the failed steps recorded (an item may fail more than one). VerdictLines: each judge's text
/// answers, and those without the verdict line. The fields after PairsByTrustPoints came later, so results recorded
/// before them read as zero and null.</summary>
public sealed record ItemsResult(int Items, int Pairs, int FailedItems, string? FirstError, IReadOnlyDictionary<string, LlmUsage> Usage,
    [property: JsonPropertyName("FellBackJudges")] IReadOnlyList<string>? TextOnlyJudges = null,
    IReadOnlyDictionary<int, int>? PairsByTrustPoints = null,
    int DecisivePairs = 0, int UnparseablePairs = 0, int FailedSteps = 0,
    IReadOnlyDictionary<string, VerdictLineTally>? VerdictLines = null);

/// <summary>
/// Items from input to stored pairs, one after another: generate (prompt-only items), then judge (every judge of the
/// run, in both orders when asked) and critique-revise side by side. Each step stands alone: a failed critique leaves
/// the item's judge pair standing. LLM failures are the item's outcome, not the activity's: they were already retried
/// where that makes sense (the SDK pipeline), so retrying the whole item would only multiply calls. Storage failures do
/// escape, for the durable layer to retry; the response cache makes that retry free for every call already answered.
/// </summary>
public sealed class ItemProcessor(
    InputStore input, PairStore pairs, FailureStore failures, ResponseGenerator generator, JudgePanel panel,
    ConstitutionalReviser reviser, ConstitutionStore constitutions, TableDistributedCache? cache = null)
{
    /// <summary>
    /// Items [start, start + count): read with one request, processed in order (the caller runs many such ranges side
    /// by side, so each range is one lane of the run's window), and their pairs written together at the end.
    /// </summary>
    public async Task<ItemsResult> ProcessAsync(string runId, int start, int count, RunSettings settings, CancellationToken ct)
    {
        // The lane's cache writes go together, before its pairs (see TableDistributedCache). Every lane of the run's
        // judging is one pass: it comes after the batch phase, whose answers are stored by then.
        using var scope = LlmCallScope.Begin(settings.Cache, settings.CacheOnlyRoles, settings.CacheOnlyReason, deferCacheWrites: cache is not null,
            cachePass: $"{runId}/judging");
        var written = new List<PreferencePair>();
        var failed = new List<ItemFailure>();
        var fellBack = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var failedItems = 0;
        IReadOnlyList<InputItem> items;
        var readAhead = Task.CompletedTask;
        try
        {
            items = await input.ReadItemsAsync(runId, start, count, settings.CritiqueRevise, ct);
            // Not awaited first: each item waits for its own entries' reads only.
            readAhead = await StartReadAheadAsync(items, settings, ct);
            foreach (var item in items)
            {
                var failuresBefore = failed.Count;
                await ProcessItemAsync(runId, item, settings, written, failed, fellBack, ct);
                if (failed.Count > failuresBefore) failedItems++;
            }
            await readAhead;
        }
        catch when (cache is not null)
        {
            // What the lane paid for is kept for its retry when storage allows; the lane's own failure is what escapes.
            // Its read-ahead ends first (it never faults), so no read outlives the lane.
            await readAhead;
            try
            {
                await cache.FlushAsync(scope);
            }
            catch (Exception e) when (e is RequestFailedException or IOException or OperationCanceledException)
            {
            }
            throw;
        }
        if (cache is not null) await cache.FlushAsync(scope);
        await pairs.SaveAllAsync(runId, written, ct);
        foreach (var failure in failed)
            await failures.RecordAsync(runId, failure, ct);
        var byPoints = written.Where(p => p.TrustPoints is not null).GroupBy(p => p.TrustPoints!.Value)
            .ToDictionary(g => g.Key, g => g.Count());
        var answers = VerdictLineTally.Of(written);
        return new ItemsResult(items.Count, written.Count, failedItems, failed.Count > 0 ? Describe(failed[0]) : null, scope.Snapshot(),
            fellBack.IsEmpty ? null : fellBack.Keys.Order(StringComparer.Ordinal).ToList(),
            byPoints.Count == 0 ? null : new SortedDictionary<int, int>(byPoints),
            written.Count(p => p.IsDecisive), written.Count(p => p.Verdict == Preference.Unparseable), failed.Count,
            answers.Count == 0 ? null : answers);
    }

    /// <summary>Items processed side by side in a collecting pass: enough to keep the cache reads busy, few enough that
    /// their requests are a small buffer.</summary>
    public const int CollectChunk = 32;

    /// <summary>
    /// A collecting pass (batch cycle <paramref name="cycle"/>) over items [start, start + count): the same steps as <see cref="ProcessAsync"/>, with no call
    /// reaching a provider. Every request the cache cannot answer is handed to <paramref name="collector"/> (when its
    /// role batches) and stops its step there; whatever an answered request leads to is found by the next pass, once
    /// the batch has answered it. Nothing is stored: no pair, no failure.
    /// </summary>
    public async Task CollectAsync(string runId, int cycle, int start, int count, RunSettings settings, IBatchCollector collector,
        Func<CancellationToken, Task> flush, CancellationToken ct)
    {
        // A cycle's pass comes after the previous cycle's answers were ingested.
        using var scope = LlmCallScope.BeginCollecting(collector, cachePass: $"{runId}/collect/{cycle}");
        var items = await input.ReadItemsAsync(runId, start, count, settings.CritiqueRevise, ct);
        foreach (var chunk in items.Chunk(CollectChunk))
        {
            var readAhead = await StartReadAheadAsync(chunk, settings, ct);
            await Task.WhenAll(chunk.Select(item => ProcessItemAsync(runId, item, settings, [], [], new ConcurrentDictionary<string, bool>(), ct)));
            await readAhead;
            await flush(ct);
        }
    }

    /// <summary>
    /// The judge calls of every item are known up front: their cache entries are read ahead, item by item. Returns once
    /// every read is registered in the scope (the keys take a boundary key that may have to be loaded), with the task
    /// of the reads themselves, so the caller's items start while they are under way.
    /// </summary>
    async Task<Task> StartReadAheadAsync(IReadOnlyList<InputItem> items, RunSettings settings, CancellationToken ct)
    {
        if (cache is null || !settings.Cache) return Task.CompletedTask;
        var textOnly = settings.TextOnlyJudges ?? [];
        var judges = panel.For(settings.Judges)
            .Select(judge => (judge.Judge, Structured: settings.StructuredOutput && !textOnly.Contains(judge.Name, StringComparer.Ordinal)))
            .ToList();
        var keys = new List<string>();
        // An item whose reference is still to be written has prompts that are not known yet.
        foreach (var item in items.Where(i => i.HasBothResponses && (i.Reference is not null || !ItemReference.Wanted(settings.ReferenceCategories, i.Category))))
            foreach (var (judge, structured) in judges)
                keys.AddRange(await judge.CacheKeysAsync(JudgeSubject.Of(item.Prompt, item.ResponseA!, item.ResponseB!, item.Conversation, item.Reference),
                    settings.SwapPositions, structured, ct));
        return cache.PrefetchAsync(keys, ct);
    }

    async Task ProcessItemAsync(string runId, InputItem item, RunSettings settings, List<PreferencePair> written,
        List<ItemFailure> failed, ConcurrentDictionary<string, bool> fellBack, CancellationToken ct)
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

        // The run's key for the category; pairs keep the input's spelling when the key differs, for the report's merges.
        var spelling = item.Category;
        item = item with { Category = CategoryKeys.Key(spelling, settings.CategoryKey) };
        // One reference per item, written once whichever step needs it first.
        var reference = new Lazy<Task<ItemReference>>(() => ReferenceAsync(item, settings, ct));
        var steps = new List<(string Name, Task<PreferencePair> Pair)>();
        if (item.HasBothResponses)
            steps.Add((ItemSteps.Judge, JudgeAsync(runId, item, settings, fellBack, reference, ct)));
        if (settings.CritiqueRevise)
            steps.Add((ItemSteps.Revise, ReviseAsync(runId, item, settings, fellBack, reference, ct)));

        foreach (var (name, task) in steps)
        {
            try
            {
                var pair = await task;
                written.Add(pair.Category == spelling ? pair : pair with { CategorySpelling = spelling });
            }
            catch (Exception e) when (IsStepFailure(e, ct))
            {
                failed.Add(Failure(item, name, e));
            }
        }
    }

    async Task<PreferencePair> JudgeAsync(string runId, InputItem item, RunSettings settings,
        ConcurrentDictionary<string, bool> fellBack, Lazy<Task<ItemReference>> referenceTask, CancellationToken ct)
    {
        var reference = await referenceTask.Value;
        var subject = JudgeSubject.Of(item.Prompt, item.ResponseA!, item.ResponseB!, item.Conversation, reference.Text);
        return PreferencePair.Judged(runId, item, await JuryAsync(subject, settings.SwapPositions, settings, fellBack, ct), reference);
    }
    /// <summary>
    /// The item's reference answer: its own, or for an item of one of the run's reference categories the judge model's
    /// answer (one call, cached like every call, counted under role "reference"). One that cannot be written leaves
    /// the item judged without a reference, which the pair says (<see cref="ReferenceSource.Unavailable"/>); a request
    /// kept for a batch stops the step as any call does.
    /// </summary>
    async Task<ItemReference> ReferenceAsync(InputItem item, RunSettings settings, CancellationToken ct)
    {
        if (item.Reference is { } given)
            return new ItemReference(given, ReferenceSource.Input);
        if (!ItemReference.Wanted(settings.ReferenceCategories, item.Category))
            return ItemReference.None;
        try
        {
            return new ItemReference(await PairwiseJudge.WriteReferenceAsync(panel.ReferenceWriter, item.Prompt, item.Conversation, ct),
                ReferenceSource.Generated);
        }
        catch (Exception e) when (e is not BatchPendingException && IsStepFailure(e, ct))
        {
            return new ItemReference(null, ReferenceSource.Unavailable);
        }
    }

    /// <summary>Every judge of the run on one pair, side by side; each judge's own client bounds its calls.</summary>
    async Task<IReadOnlyList<JudgeVerdict>> JuryAsync(JudgeSubject subject, bool swap, RunSettings settings,
        ConcurrentDictionary<string, bool> fellBack, CancellationToken ct)
    {
        var textOnly = settings.TextOnlyJudges ?? [];
        var calls = panel.For(settings.Judges).Select(async judge =>
        {
            var structured = settings.StructuredOutput && !textOnly.Contains(judge.Name, StringComparer.Ordinal);
            var verdict = await judge.JudgeAsync(subject, swap, structured, ct);
            if (verdict.FellBackToText)
                fellBack[judge.Name] = true;
            return verdict;
        }).ToList();
        return await Task.WhenAll(calls);
    }

    /// <summary>
    /// Critique → revise on response_a, one round per principle drawn from the run's constitution, each round revising
    /// the one before. The final revision is stored as A and wins by construction; with verification on, the judge
    /// (or jury) compares it with the original in both orders, and a revision that does not win is flagged.
    /// </summary>
    async Task<PreferencePair> ReviseAsync(string runId, InputItem item, RunSettings settings,
        ConcurrentDictionary<string, bool> fellBack, Lazy<Task<ItemReference>> referenceTask, CancellationToken ct)
    {
        var original = item.ResponseA ?? throw new InvalidOperationException($"Item {item.Id} has no response_a to revise.");
        var constitution = await constitutions.LoadAsync(settings.Constitution, ct);
        var rounds = Math.Clamp(settings.RevisionRounds, 1, ConstitutionalReviser.MaxRounds);
        var principles = Enumerable.Range(1, rounds).Select(r => constitution.For(settings.Seed, item.Id, r)).ToList();
        // Both sides of a revision pair follow side A's conversation: the revision rewrites A's final turn.
        var conversation = item.Conversation is { } c ? Conversation.Shared(c.ContextA) : null;
        var revision = await reviser.ReviseAsync(item.Prompt, original, principles, ct, conversation?.ContextA);

        RevisionCheck? check = null;
        var reference = ItemReference.None;
        if (settings.VerifyRevisions)
        {
            reference = await referenceTask.Value;
            var subject = JudgeSubject.Of(item.Prompt, revision.Revised, original, conversation, reference.Text);
            var jury = Jury.Combine(await JuryAsync(subject, swap: true, settings, fellBack, ct));
            check = new RevisionCheck(jury.Verdict, jury.Verdict is Preference.B or Preference.Tie, jury.Calls);
        }

        return new PreferencePair(
            runId, PreferencePair.KeyFor(item.Index, PairSource.Revision), item.Index, item.Id, item.Category,
            PairSource.Revision, item.Prompt, revision.Revised, original, "critique-revise", item.ModelA,
            Preference.A, Confidence: null, Reasoning: revision.Critique, JudgedBothOrders: false, PositionInconsistent: false,
            Forward: null, Swapped: null, Calls: 0, Rounds: revision.Rounds, Verification: check,
            Conversation: conversation, Reference: reference.Text, ReferenceSource: reference.Source);
    }

    /// <summary>Anything but a storage failure (the durable layer's to retry) or the host shutting down.</summary>
    static bool IsStepFailure(Exception e, CancellationToken ct) => !IsStorageFailure(e) && !ct.IsCancellationRequested;

    /// <summary>The storage SDK reports a request whose own retries all failed (the account unreachable, say, while
    /// the response cache is read) as an AggregateException of them; that is storage's failure too, not the step's.</summary>
    static bool IsStorageFailure(Exception e) =>
        e is RequestFailedException || e is AggregateException { InnerExceptions.Count: > 0 } a && a.InnerExceptions.All(IsStorageFailure);

    static ItemFailure Failure(InputItem item, string step, Exception e) =>
        new(item.Index, item.Id, step, LlmErrors.Describe(e), DateTimeOffset.UtcNow);

    static string Describe(ItemFailure f) => $"item {f.ItemIndex} {f.Step}: {f.Error}";
}
