using System.Text.Json;
using Azure.Data.Tables;
using SynthPref.Orchestration.Storage;
using static SynthPref.Orchestration.Reviews.ReviewPartition;

namespace SynthPref.Orchestration.Reviews;

/// <summary>One row per sampling round: how many items it drew, by category, and what it was drawn against.</summary>
sealed class RoundRows(StorageClients storage)
{
    TableClient Table => ReviewPartition.Table(storage);

    public Task WriteAsync(string runId, ReviewRound round, CancellationToken ct) =>
        Table.UpsertEntityAsync(new TableEntity(runId, $"{RoundPrefix}{round.Round:D4}")
        {
            ["Round"] = round.Round,
            ["SampledItems"] = round.SampledItems,
            ["ByCategory"] = JsonSerializer.Serialize(round.ByCategory),
            ["WiderThanTarget"] = round.WiderThanTarget is { } wide ? JsonSerializer.Serialize(wide) : null,
            ["Escalation"] = round.Escalation is { } escalation ? JsonSerializer.Serialize(escalation) : null,
        }, TableUpdateMode.Replace, ct);

    /// <summary>The run's sampling rounds, first to last; empty for phases opened before rounds were recorded.</summary>
    public async Task<IReadOnlyList<ReviewRound>> ListAsync(string runId, CancellationToken ct)
    {
        var rounds = new List<ReviewRound>();
        await foreach (var e in QueryPrefixAsync(Table, runId, RoundPrefix, ct))
            rounds.Add(new ReviewRound(e.GetInt32("Round") ?? 0, e.GetInt32("SampledItems") ?? 0,
                JsonSerializer.Deserialize<Dictionary<string, int>>(e.GetString("ByCategory") ?? "{}")!,
                e.GetString("WiderThanTarget") is { } wide ? JsonSerializer.Deserialize<List<CategoryInterval>>(wide) : null,
                e.GetString("Escalation") is { } escalation ? JsonSerializer.Deserialize<EscalationDraw>(escalation) : null));
        return rounds.OrderBy(r => r.Round).ToList();
    }
}
