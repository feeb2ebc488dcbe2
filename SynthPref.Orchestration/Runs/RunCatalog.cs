using Azure.Data.Tables;
using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Runs;

/// <summary>
/// What the durable backend doesn't keep for us: where a run came from and the hash of its review token (never the
/// token, see <see cref="ReviewTokens"/>). A run refused before it could start (an upload with bad metadata) has a
/// Rejection and no orchestration. HideReference: the run's showReferenceToReviewers was false, so the review page
/// shows no reference answer (stored only then, so every other row is as it was).
/// </summary>
public sealed record RunRecord(
    string RunId,
    string? Name,
    string Source,
    string InputBlob,
    string ReviewTokenHash,
    DateTimeOffset CreatedAt,
    string? Rejection = null,
    bool HideReference = false);

public sealed class RunCatalog(StorageClients storage)
{
    const string Partition = "run";
    TableClient Table => storage.Table(StorageNames.RunsTable);

    /// <summary>Returns false when the run is already registered (a repeated trigger), leaving it untouched.</summary>
    public async Task<bool> TryAddAsync(RunRecord run, CancellationToken ct)
    {
        try
        {
            await Table.AddEntityAsync(new TableEntity(Partition, run.RunId)
            {
                ["Name"] = run.Name,
                ["Source"] = run.Source,
                ["InputBlob"] = run.InputBlob,
                ["ReviewTokenHash"] = run.ReviewTokenHash,
                ["CreatedAt"] = run.CreatedAt,
                ["Rejection"] = run.Rejection,
                ["HideReference"] = run.HideReference ? true : null,
            }, ct);
            return true;
        }
        catch (Azure.RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    public async Task<RunRecord?> GetAsync(string runId, CancellationToken ct)
    {
        if (!IsValidRunId(runId)) return null;
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, runId, cancellationToken: ct);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    public async Task<IReadOnlyList<RunRecord>> ListRecentAsync(int take, CancellationToken ct)
    {
        var runs = new List<RunRecord>();
        await foreach (var e in Table.QueryAsync<TableEntity>(e => e.PartitionKey == Partition, cancellationToken: ct))
            runs.Add(FromEntity(e));
        return runs.OrderByDescending(r => r.CreatedAt).Take(take).ToList();
    }

    public const int MaxRunIdChars = 100;

    /// <summary>Run ids become table keys and blob paths, so only a safe alphabet is accepted.</summary>
    public static bool IsValidRunId(string runId) => StorageKeys.IsSafe(runId, MaxRunIdChars);

    /// <summary>Why a run id from a request cannot name a run, by the field "runId"; null when it can.</summary>
    public static FieldError? RunIdProblem(string? runId) =>
        StorageKeys.Problem(runId, MaxRunIdChars) is { } problem
            ? new FieldError("runId", $"Run id '{StorageKeys.Printable(runId ?? "")}' cannot name a run: it {problem}")
            : null;

    /// <summary>Makes <paramref name="tokenHash"/> the run's only valid review token; false when there is no such run.</summary>
    public async Task<bool> ReplaceReviewTokenAsync(string runId, string tokenHash, CancellationToken ct)
    {
        if (!IsValidRunId(runId)) return false;
        try
        {
            // Replacing the whole row drops a plain token left by an older build along with the old hash.
            var row = (await Table.GetEntityAsync<TableEntity>(Partition, runId, cancellationToken: ct)).Value;
            row.Remove("ReviewToken");
            row["ReviewTokenHash"] = tokenHash;
            await Table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, ct);
            return true;
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    public async Task DeleteAsync(string runId, CancellationToken ct) =>
        await Table.DeleteEntityAsync(Partition, runId, cancellationToken: ct);

    static RunRecord FromEntity(TableEntity e) => new(
        e.RowKey,
        e.GetString("Name"),
        e.GetString("Source") ?? "",
        e.GetString("InputBlob") ?? "",
        // Runs registered by a build that stored the token itself are checked against its hash all the same.
        e.GetString("ReviewTokenHash") ?? (e.GetString("ReviewToken") is { Length: > 0 } plain ? ReviewTokens.Hash(plain) : ""),
        e.GetDateTimeOffset("CreatedAt") ?? e.Timestamp ?? DateTimeOffset.MinValue,
        e.GetString("Rejection"),
        e.GetBoolean("HideReference") ?? false);
}
