using Azure.Storage.Blobs.Specialized;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Batch;

/// <summary>One lane's requests for one (section, role): a JSONL blob of batch lines, and how many requests and bytes.</summary>
public sealed record BatchPart(string Section, string Role, string Blob, int Requests, long Bytes);

/// <summary>What a lane's collecting pass found: its parts, and the requests it left out because the run's batches
/// already failed them <see cref="BatchStore.MaxAttempts"/> times (they go live, or fail, when the stage runs).</summary>
public sealed record CollectedRequests(IReadOnlyList<BatchPart> Parts, int Exhausted);

/// <summary>
/// Receives one lane's collected requests and writes them as batch lines to a blob per (section, role), a chunk of
/// items at a time, so a lane holds no more than a chunk's requests in memory. A request asked twice in the lane (two
/// items with the same texts) is written once. The blob names are fixed by (run, cycle, lane), so a retried lane
/// writes the same blobs again.
/// </summary>
public sealed class BatchCollector(StorageClients storage, BatchStore store, string runId, int cycle, int start, BatchPlan plan,
    bool checkAttempts) : IBatchCollector, IAsyncDisposable
{
    readonly Dictionary<(string Section, string Role), Group> groups = [];
    int exhausted;

    public bool Batches(string role) => plan.Batches(role);

    public void Add(BatchRequest request)
    {
        lock (groups)
        {
            if (!groups.TryGetValue((request.Section, request.Role), out var group))
                groups[(request.Section, request.Role)] = group = new Group(request.Section, request.Role, PartBlob(request.Section, request.Role));
            if (group.Keys.Add(request.CustomId))
                group.Pending.Add(request);
        }
    }

    /// <summary>Writes what was collected since the last flush, leaving out requests already sent twice.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        List<(Group Group, List<BatchRequest> Requests)> batch;
        lock (groups)
        {
            batch = groups.Values.Where(g => g.Pending.Count > 0).Select(g => (g, g.Pending.ToList())).ToList();
            foreach (var (group, _) in batch) group.Pending.Clear();
        }
        foreach (var (group, requests) in batch)
        {
            var keep = requests;
            if (checkAttempts)
            {
                var attempts = await store.AttemptsAsync(runId, requests.Select(r => r.CustomId), ct).ConfigureAwait(false);
                keep = requests.Where(r => attempts.GetValueOrDefault(r.CustomId) < BatchStore.MaxAttempts).ToList();
                exhausted += requests.Count - keep.Count;
            }
            if (keep.Count == 0) continue;
            group.Stream ??= await storage.Container(StorageNames.WorkContainer).GetBlockBlobClient(group.Blob)
                .OpenWriteAsync(overwrite: true, cancellationToken: ct).ConfigureAwait(false);
            foreach (var request in keep)
            {
                await group.Stream.WriteAsync(request.Line, ct).ConfigureAwait(false);
                group.Stream.WriteByte((byte)'\n');
                group.Requests++;
                group.Bytes += request.Line.Length + 1;
            }
        }
    }

    /// <summary>Flushes, commits the blobs, and says what they hold.</summary>
    public async Task<CollectedRequests> CompleteAsync(CancellationToken ct)
    {
        await FlushAsync(ct).ConfigureAwait(false);
        var parts = new List<BatchPart>();
        foreach (var group in groups.Values.OrderBy(g => g.Blob, StringComparer.Ordinal))
        {
            if (group.Stream is null) continue;
            await group.Stream.DisposeAsync().ConfigureAwait(false);
            group.Stream = null;
            parts.Add(new BatchPart(group.Section, group.Role, group.Blob, group.Requests, group.Bytes));
        }
        return new CollectedRequests(parts, exhausted);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var group in groups.Values)
            if (group.Stream is { } stream)
                await stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The group a (section, role) pair's blobs share in a cycle's folder.</summary>
    public static string GroupOf(string section, string role) => StorageKeys.Hash(section + "\n" + role, 12);

    string PartBlob(string section, string role) => $"{runId}/batch/c{cycle:D3}/{GroupOf(section, role)}/part-{start:D9}.jsonl";

    sealed class Group(string section, string role, string blob)
    {
        public string Section { get; } = section;
        public string Role { get; } = role;
        public string Blob { get; } = blob;
        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);
        public List<BatchRequest> Pending { get; } = [];
        public Stream? Stream { get; set; }
        public int Requests { get; set; }
        public long Bytes { get; set; }
    }
}
