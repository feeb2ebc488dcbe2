using System.Text.Json;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Orchestration.Api;

public sealed record StartRunRequest(string? Name, JsonElement? Items, string? InputBlob, RunOptions? Options);

public sealed record StartRunResponse(string RunId, string StatusUri, string ReviewUri, string ReviewToken);

public sealed record RunStatusResponse(
    string RunId,
    RunStatus Status,
    RunProgress Progress,
    string? Error,
    string? Name,
    string Source,
    DateTimeOffset CreatedAt,
    RunOutputs? Outputs,
    ReviewProgress? Review);

public sealed record RunOutputs(string ReportJson, string ReportHtml, string Dataset, int DatasetRows, int FailedItems);

public sealed record RunSummary(string RunId, string? Name, string Source, RunStatus Status, DateTimeOffset CreatedAt,
    string StatusUri, string ReviewUri);

public sealed record SubmitReviewRequest(string? ItemId, string? Reviewer, string? Preference);
