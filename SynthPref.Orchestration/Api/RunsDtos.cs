using System.Text.Json.Serialization;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Orchestration.Api;

/// <summary>The body of POST /api/runs, for documentation and clients: it is read streaming (<see cref="StartRunBodyReader"/>),
/// never bound as a whole, so a large <c>items</c> array is never held in memory at once. Options: run options by their
/// names (<see cref="RunOptionsParser.Names"/>), the same names blob metadata uses.</summary>
public sealed record StartRunRequest(string? Name, IReadOnlyList<object>? Items, string? InputBlob, IReadOnlyDictionary<string, object>? Options);

/// <summary>The review token is handed out here, once: storage keeps only its hash.</summary>
public sealed record StartRunResponse(string RunId, string StatusUri, string ReviewUri, string ReviewToken);

/// <summary>Degraded: the run lost at least one item step (see <see cref="RunView.Degraded"/>). InputErrors: a run whose
/// input was refused names each bad line and field here too, as a 400 for inline items does (null otherwise). ReviewLink:
/// for a run started by an upload (which nobody was handed a review link for), how to get one; null for a run started
/// by POST.</summary>
public sealed record RunStatusResponse(
    string RunId,
    RunStatus Status,
    bool Degraded,
    RunProgress Progress,
    string? Error,
    string? Name,
    string Source,
    DateTimeOffset CreatedAt,
    RunOutputs? Outputs,
    ReviewProgress? Review,
    IReadOnlyList<Input.InputError>? InputErrors = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ReviewLinkHelp? ReviewLink = null);

/// <summary>How a run that was not started by POST /api/runs gets a review link: Method and Uri to call, and what that
/// call does to the links issued before it.</summary>
public sealed record ReviewLinkHelp(string Method, string Uri, string Note);

/// <summary>Escalated and EscalatedRows: escalated.jsonl, the escalated pairs no reviewer labelled (runs with trustTarget
/// only; null otherwise).</summary>
public sealed record RunOutputs(string ReportJson, string ReportHtml, string Dataset, int DatasetRows, int FailedItems, string? Escalated = null,
    int? EscalatedRows = null);

/// <summary>No review link: tokens are stored only as hashes. POST /api/runs/{id}/review-link issues a new one.</summary>
public sealed record RunSummary(string RunId, string? Name, string Source, RunStatus Status, bool Degraded, DateTimeOffset CreatedAt,
    string StatusUri);

/// <summary>A new review link; every earlier link of the run stops working.</summary>
public sealed record ReviewLinkResponse(string RunId, string ReviewUri, string ReviewToken);

/// <summary>Total: every failed step (StepsFailed); FailureCounts: items failed, steps failed and items not started,
/// under the names the status (progress.failureCounts) and the report (failureCounts) use.</summary>
public sealed record FailuresResponse(string RunId, RunStatus Status, bool Degraded, int FailedItems, int Total, int Skip,
    IReadOnlyList<ItemFailure> Failures, FailureCounts FailureCounts);

public sealed record SubmitReviewRequest(string? ItemId, string? Reviewer, string? Preference);
