using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Data.Tables;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Revision;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Pairs;

/// <summary>
/// Pairs in Table Storage: PartitionKey = runId, RowKey = <see cref="PreferencePair.KeyFor"/>. A pair's details
/// (each judge's verdict, the revision rounds, the verification) are one JSON property; when the pair's texts and
/// details together would come near an entity's 1 MB, the details go to a blob beside the run's input instead
/// (<c>synthpref-runs/{runId}/pairs/{pairId}.json</c>), and the entity keeps its name.
/// </summary>
public sealed class PairStore(StorageClients storage)
{
    /// <summary>UTF-16 bytes an entity may use for its texts before details move to a blob: 1 MiB less room for
    /// property names, keys and the short properties.</summary>
    const int MaxEntityTextBytes = 900_000;

    static readonly JsonSerializerOptions DetailsJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    TableClient Table => storage.Table(StorageNames.PairsTable);

    /// <summary>The pair's row with its details (jury, rounds, verification) inline, or in a blob the row names when
    /// they would not fit in the entity.</summary>
    async Task<TableEntity> ToEntityWithDetailsAsync(PreferencePair pair, CancellationToken ct)
    {
        var entity = ToEntity(pair);
        if (Details(pair) is { } details)
        {
            var texts = pair.Prompt.Length + pair.ResponseA.Length + pair.ResponseB.Length + (pair.Reasoning?.Length ?? 0)
                + (pair.Reference?.Length ?? 0) + (ConversationJson(pair.Conversation)?.Length ?? 0);
            if (2L * (texts + details.Length) <= MaxEntityTextBytes)
                LongText.Write(entity, "Details", details);
            else
            {
                var path = DetailsPath(pair.RunId, pair.PairId);
                await storage.Container(StorageNames.WorkContainer).GetBlobClient(path)
                    .UploadAsync(BinaryData.FromString(details), overwrite: true, ct);
                entity["DetailsBlob"] = path;
            }
        }
        return entity;
    }

    /// <summary>
    /// Upserts a run's pairs in as few requests as Table Storage allows: transactions of at most 100 entities of one
    /// partition and a few MB each. Each transaction is all or nothing, and every write is an upsert, so a retry after a
    /// failure part-way rewrites what was written and loses nothing.
    /// </summary>
    public async Task SaveAllAsync(string runId, IReadOnlyList<PreferencePair> pairs, CancellationToken ct)
    {
        const int MaxEntities = 100;
        const long MaxBytes = 3L * 1024 * 1024; // under the 4 MB payload limit, with room for the batch framing
        var batch = new List<TableTransactionAction>();
        long bytes = 0;
        foreach (var pair in pairs)
        {
            if (pair.RunId != runId) throw new ArgumentException($"Pair {pair.PairId} belongs to run {pair.RunId}, not {runId}.", nameof(pairs));
            var entity = await ToEntityWithDetailsAsync(pair, ct);
            var size = ApproximateBytes(entity);
            if (batch.Count == MaxEntities || (batch.Count > 0 && bytes + size > MaxBytes))
            {
                await Table.SubmitTransactionAsync(batch, ct);
                batch = [];
                bytes = 0;
            }
            batch.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, entity));
            bytes += size;
        }
        if (batch.Count > 0)
            await Table.SubmitTransactionAsync(batch, ct);
    }

    // Strings travel as UTF-16 in the service's accounting and as escaped JSON on the wire: twice the characters,
    // plus room for names, keys and the other properties, bounds both.
    static long ApproximateBytes(TableEntity e) =>
        2L * e.Sum(kv => kv.Value is string text ? text.Length : 0) + 2_048;

    /// <summary>
    /// Every pair of the run, one range of items at a time (<see cref="QueryRunAsync"/>), so nothing holds the whole run: in row-key order, which is item
    /// order (then judge before revision) while item indexes have at most seven digits. Readers that depend on item order
    /// use <see cref="ReadInItemOrderAsync"/>.
    /// </summary>
    public async IAsyncEnumerable<PreferencePair> ReadAllAsync(string runId, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var entity in QueryRunAsync(runId, select: null, ct))
            yield return await FromEntityAsync(entity, ct);
    }

    /// <summary><see cref="ReadAllAsync"/>, checked to come in the dataset's order (item index, then source, then pair id):
    /// a run whose keys do not sort that way (item indexes of eight digits or more) fails loudly rather than writing its
    /// rows out of order.</summary>
    public async IAsyncEnumerable<PreferencePair> ReadInItemOrderAsync(string runId, [EnumeratorCancellation] CancellationToken ct)
    {
        PreferencePair? previous = null;
        await foreach (var pair in ReadAllAsync(runId, ct))
        {
            if (previous is not null && ItemOrder.Compare(previous, pair) > 0)
                throw new InvalidOperationException(
                    $"Run {runId}: pair {pair.PairId} (item {pair.ItemIndex}) is stored after {previous.PairId} (item {previous.ItemIndex}); " +
                    "pairs are read in item order only while item indexes have at most seven digits.");
            previous = pair;
            yield return pair;
        }
    }

    /// <summary>The dataset's order: item index, then source (judge first), then pair id.</summary>
    public static IComparer<PreferencePair> ItemOrder { get; } = Comparer<PreferencePair>.Create((a, b) =>
    {
        var byItem = a.ItemIndex.CompareTo(b.ItemIndex);
        if (byItem != 0) return byItem;
        var bySource = a.Source.CompareTo(b.Source);
        return bySource != 0 ? bySource : string.CompareOrdinal(a.PairId, b.PairId);
    });

    /// <summary>What sampling needs of every pair, without texts or details: projected, one range of items at a time.</summary>
    public async IAsyncEnumerable<PairSummary> ReadSummariesAsync(string runId, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var e in QueryRunAsync(runId, ["RowKey", "ItemIndex", "Category", "Source", "Verdict", "Confidence"], ct))
            yield return new PairSummary(e.RowKey, e.GetInt32("ItemIndex") ?? 0, e.GetString("Category") ?? "uncategorized",
                Enum.Parse<PairSource>(e.GetString("Source")!), Enum.Parse<Preference>(e.GetString("Verdict")!),
                ParseOptional<Confidence>(e.GetString("Confidence")));
    }

    /// <summary>The row keys of a run's pairs, without their texts.</summary>
    public async IAsyncEnumerable<string> ReadKeysAsync(string runId, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var entity in QueryRunAsync(runId, ["RowKey"], ct))
            yield return entity.RowKey;
    }

    /// <summary>Items whose pairs one range query reads: one page of 1,000 entities when each item has one pair, two
    /// pages when critique-revise adds a second. Azurite scans the whole table for every query, so fewer is faster.</summary>
    public const int ItemsPerRange = 1_000;

    /// <summary>
    /// Every entity of the run in row-key order, as consecutive row-key ranges of <see cref="ItemsPerRange"/> items,
    /// not as one query paged by continuation: Azurite answers every page of a partition query by sorting all the
    /// partition's rows after the continuation, so one pass over a run cost its size squared (a 100,000-item run's
    /// audit took a minute), where a range costs one range. Table Storage serves either as a range scan. An empty
    /// range (its items failed) is passed over by asking for the first key after it, and what lies past the last
    /// seven-digit index, or is not keyed by an item index at all, is read by one open-ended query, so no row is missed.
    /// </summary>
    async IAsyncEnumerable<TableEntity> QueryRunAsync(string runId, IEnumerable<string>? select, [EnumeratorCancellation] CancellationToken ct)
    {
        var from = "";
        var index = 0;
        while (index <= PreferencePair.MaxOrderedItemIndex - ItemsPerRange)
        {
            var next = index + ItemsPerRange;
            var to = PreferencePair.KeyPrefix(next);
            var any = false;
            await foreach (var entity in Table.QueryAsync<TableEntity>(
                               TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey ge {from} and RowKey lt {to}"),
                               select: select, cancellationToken: ct))
            {
                any = true;
                yield return entity;
            }
            (from, index) = (to, next);
            if (any) continue;
            string? after = null;
            await foreach (var entity in Table.QueryAsync<TableEntity>(
                               TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey ge {from}"), maxPerPage: 1,
                               select: ["RowKey"], cancellationToken: ct))
            {
                after = entity.RowKey;
                break;
            }
            if (after is null) yield break;
            if (!PreferencePair.TryItemIndexOf(after, out var found)) break;
            index = found - found % ItemsPerRange;
            from = PreferencePair.KeyPrefix(index);
        }
        await foreach (var entity in Table.QueryAsync<TableEntity>(
                           TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey ge {from}"), select: select, cancellationToken: ct))
            yield return entity;
    }

    public async Task<PreferencePair?> GetAsync(string runId, string pairId, CancellationToken ct)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(runId, pairId, cancellationToken: ct);
        return response.HasValue ? await FromEntityAsync(response.Value!, ct) : null;
    }

    static string DetailsPath(string runId, string pairId) => $"{runId}/pairs/{pairId}.json";

    sealed record PairDetails(IReadOnlyList<JudgeVerdict>? Judges, IReadOnlyList<RevisionRound>? Rounds, RevisionCheck? Verification);

    static string? Details(PreferencePair p) =>
        p.Judges is null && p.Rounds is null && p.Verification is null
            ? null
            : JsonSerializer.Serialize(new PairDetails(p.Judges, p.Rounds, p.Verification), DetailsJson);

    static TableEntity ToEntity(PreferencePair p)
    {
        var e = new TableEntity(p.RunId, p.PairId)
        {
            ["ItemIndex"] = p.ItemIndex,
            ["InputId"] = p.InputId,
            ["Category"] = p.Category,
            ["Source"] = p.Source.ToString(),
            ["ModelA"] = p.ModelA,
            ["ModelB"] = p.ModelB,
            ["Verdict"] = p.Verdict.ToString(),
            ["Confidence"] = p.Confidence?.ToString(),
            ["JudgedBothOrders"] = p.JudgedBothOrders,
            ["PositionInconsistent"] = p.PositionInconsistent,
            ["ForwardCall"] = p.Forward?.ToString(),
            ["SwappedCall"] = p.Swapped?.ToString(),
            ["JudgeCalls"] = p.Calls,
            ["JudgeModel"] = p.JudgeModel,
            ["RevisionRegression"] = p.Verification is null ? null : p.RevisionRegression,
            ["TrustPoints"] = p.TrustPoints,
            ["CategorySpelling"] = p.CategorySpelling,
        };
        LongText.Write(e, "Prompt", p.Prompt);
        LongText.Write(e, "ResponseA", p.ResponseA);
        LongText.Write(e, "ResponseB", p.ResponseB);
        LongText.Write(e, "Reasoning", p.Reasoning);
        // Conversation items only, so a single-turn pair's row is as it always was.
        LongText.Write(e, "Conversation", ConversationJson(p.Conversation));
        LongText.Write(e, "Reference", p.Reference);
        if (p.ReferenceSource is { } source) e["ReferenceSource"] = source.ToString();
        return e;
    }

    /// <summary>A conversation as stored: each side's turns before its judged answer, side B's left out when it is the
    /// same as A's.</summary>
    sealed record StoredConversation(IReadOnlyList<ChatTurn> ContextA, IReadOnlyList<ChatTurn>? ContextB);

    static string? ConversationJson(Conversation? conversation) => conversation is null ? null
        : JsonSerializer.Serialize(new StoredConversation(conversation.ContextA, conversation.IsShared ? null : conversation.ContextB), DetailsJson);

    static Conversation? ReadConversation(string? json)
    {
        if (json is null) return null;
        var stored = JsonSerializer.Deserialize<StoredConversation>(json, DetailsJson)!;
        return stored.ContextB is null ? Conversation.Shared(stored.ContextA) : new Conversation(stored.ContextA, stored.ContextB);
    }

    async Task<PreferencePair> FromEntityAsync(TableEntity e, CancellationToken ct)
    {
        var detailsText = LongText.Read(e, "Details");
        if (detailsText is null && e.GetString("DetailsBlob") is { } path)
            detailsText = (await storage.Container(StorageNames.WorkContainer).GetBlobClient(path).DownloadContentAsync(ct)).Value.Content.ToString();
        var details = detailsText is null ? null : JsonSerializer.Deserialize<PairDetails>(detailsText, DetailsJson);
        var pair = new PreferencePair(
            RunId: e.PartitionKey,
            PairId: e.RowKey,
            ItemIndex: e.GetInt32("ItemIndex") ?? 0,
            InputId: e.GetString("InputId") ?? "",
            Category: e.GetString("Category") ?? "uncategorized",
            Source: Enum.Parse<PairSource>(e.GetString("Source")!),
            Prompt: LongText.Read(e, "Prompt") ?? "",
            ResponseA: LongText.Read(e, "ResponseA") ?? "",
            ResponseB: LongText.Read(e, "ResponseB") ?? "",
            ModelA: e.GetString("ModelA"),
            ModelB: e.GetString("ModelB"),
            Verdict: Enum.Parse<Preference>(e.GetString("Verdict")!),
            Confidence: ParseOptional<Confidence>(e.GetString("Confidence")),
            Reasoning: LongText.Read(e, "Reasoning"),
            JudgedBothOrders: e.GetBoolean("JudgedBothOrders") ?? false,
            PositionInconsistent: e.GetBoolean("PositionInconsistent") ?? false,
            Forward: ParseOptional<Preference>(e.GetString("ForwardCall")),
            Swapped: ParseOptional<Preference>(e.GetString("SwappedCall")),
            Calls: e.GetInt32("JudgeCalls") ?? 0,
            JudgeModel: e.GetString("JudgeModel"),
            Judges: details?.Judges,
            Rounds: details?.Rounds,
            Verification: details?.Verification,
            TrustPoints: e.GetInt32("TrustPoints"),
            CategorySpelling: e.GetString("CategorySpelling"),
            Conversation: ReadConversation(LongText.Read(e, "Conversation")),
            Reference: LongText.Read(e, "Reference"),
            ReferenceSource: ParseOptional<Judging.ReferenceSource>(e.GetString("ReferenceSource")));
        // Pairs stored before trust points were: worked out from the verdicts they keep, as a new pair's are.
        return pair.TrustPoints is null && pair.Source == PairSource.Judge && pair.IsDecisive
            ? pair with { TrustPoints = Judging.TrustPoints.Of(pair.Verdict, pair.JudgeVerdicts) }
            : pair;
    }

    static T? ParseOptional<T>(string? text) where T : struct, Enum =>
        text is null ? null : Enum.Parse<T>(text);
}
