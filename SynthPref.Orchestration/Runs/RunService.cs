using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Runs;

public enum OutcomeKind { Ok, NotFound, Unauthorized, Invalid, Conflict, Unavailable }

/// <summary>What an application call came to; hosts turn it into their own HTTP responses.</summary>
public sealed record Outcome<T>(OutcomeKind Kind, T? Value = default, string? Detail = null, IReadOnlyList<string>? Errors = null)
{
    public static Outcome<T> Ok(T value) => new(OutcomeKind.Ok, value);
    public static Outcome<T> NotFound(string detail) => new(OutcomeKind.NotFound, Detail: detail);
    public static Outcome<T> Unauthorized() => new(OutcomeKind.Unauthorized, Detail: "Missing or wrong review token.");
    public static Outcome<T> Invalid(string detail, IReadOnlyList<string> errors) => new(OutcomeKind.Invalid, Detail: detail, Errors: errors);
    public static Outcome<T> Conflict(string detail) => new(OutcomeKind.Conflict, Detail: detail);
    public static Outcome<T> Unavailable(string detail) => new(OutcomeKind.Unavailable, Detail: detail);
}

public sealed record StartedRun(string RunId, string ReviewToken, bool AlreadyExisted);

public sealed record RunView(
    string RunId,
    string? Name,
    string Source,
    DateTimeOffset CreatedAt,
    RunStatus Status,
    RunProgress Progress,
    string? Error,
    RunResult? Result);

public sealed record ReviewItemView(string ItemId, string InputId, string Prompt, string Category, string First, string Second);

/// <summary>
/// The product's use cases over storage and the durable client. Both hosts call these; the client is a
/// parameter because Azure Functions binds it per invocation rather than through DI.
/// </summary>
public sealed class RunService(RunCatalog catalog, ItemStore items, PairStore pairs, ReviewStore reviews, OutputStore output,
    IOptions<LlmOptions> llm)
{
    public const string HttpSource = "http";

    /// <summary>Starts a run from inline items (already JSON) or a blob reference. Inline items are checked
    /// here so the caller hears about bad lines at once; blob input is checked by the run itself.</summary>
    public async Task<Outcome<StartedRun>> StartFromHttpAsync(DurableTaskClient client, string? name, JsonElement? inlineItems,
        string? inputBlob, RunOptions? options, CancellationToken ct)
    {
        if (JudgeProblem() is { } problem) return Outcome<StartedRun>.Unavailable(problem);
        var runId = $"run-{DateTime.UtcNow:yyyyMMddHHmmss}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant()}";
        var errors = new List<string>();
        var hasItems = inlineItems is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined };
        if (hasItems == (inputBlob is not null))
            errors.Add("Give exactly one of 'items' (inline input objects) or 'inputBlob' (\"container/path.jsonl\").");
        var settings = RunOptionsParser.Resolve(options, runId, errors);

        // Every problem at once: bad options do not hide bad items.
        InputParseResult? parsed = null;
        if (hasItems)
        {
            parsed = InputParser.ParseItems(inlineItems!.Value);
            var itemErrors = parsed.IsValid ? InputParser.ErrorsForSettings(parsed.Items, settings.CritiqueRevise) : parsed.Errors;
            errors.AddRange(itemErrors.Select(e => e.ToString()));
            if (parsed.IsValid && parsed.Items.Count == 0) errors.Add("items: the array is empty.");
            if (itemErrors.Count > 0)
                return Outcome<StartedRun>.Invalid(InputParser.FormatErrors(itemErrors, "items"), errors);
        }
        if (errors.Count > 0) return Outcome<StartedRun>.Invalid("The run request is invalid.", errors);

        string reference;
        var inputName = parsed is not null ? "items" : inputBlob!;
        if (parsed is not null)
            reference = await items.SaveInputAsync(runId, InputParser.ToJsonl(parsed.Items), ct);
        else
        {
            var snapshot = await items.SnapshotInputAsync(runId, inputBlob!, etag: null, ct);
            if (snapshot.Reference is null)
                return Outcome<StartedRun>.Invalid("The run request is invalid.", [$"inputBlob: {snapshot.Error}"]);
            reference = snapshot.Reference;
        }
        return Outcome<StartedRun>.Ok(await StartAsync(client, new RunInput(runId, name, HttpSource, inputName, reference, settings), ct));
    }

    /// <summary>The blob trigger's entry: the id comes from the blob's name and ETag, so one upload is one run.</summary>
    public async Task<Outcome<StartedRun>> StartFromBlobAsync(DurableTaskClient client, string container, string blobName,
        string etag, IDictionary<string, string> metadata, CancellationToken ct)
    {
        var runId = BlobRunId(container, blobName, etag);
        var errors = new List<string>();
        var options = RunOptionsParser.FromMetadata(metadata, errors);
        var settings = RunOptionsParser.Resolve(options, runId, errors);
        var name = metadata.FirstOrDefault(kv => kv.Key.Equals("name", StringComparison.OrdinalIgnoreCase)).Value ?? blobName;
        if (JudgeProblem() is { } problem) errors.Add(problem);
        if (errors.Count > 0)
        {
            // An upload has no caller to answer, so the refusal is recorded where runs are listed.
            var detail = $"Blob '{container}/{blobName}' was not started: {string.Join(" ", errors)}";
            await catalog.TryAddAsync(new RunRecord(runId, name, $"blob:{container}/{blobName}", $"{container}/{blobName}",
                NewToken(), DateTimeOffset.UtcNow, detail), ct);
            return Outcome<StartedRun>.Invalid(detail, errors);
        }
        // The run reads its own copy of exactly this upload (this ETag), made once when the run is first seen.
        var reference = (await catalog.GetAsync(runId, ct))?.InputBlob;
        if (reference is null)
        {
            var snapshot = await items.SnapshotInputAsync(runId, $"{container}/{blobName}", etag, ct);
            if (snapshot.Reference is null)
                return Outcome<StartedRun>.NotFound(snapshot.Error!);
            reference = snapshot.Reference;
        }
        return Outcome<StartedRun>.Ok(await StartAsync(client,
            new RunInput(runId, name, $"blob:{container}/{blobName}", $"{container}/{blobName}", reference, settings), ct));
    }

    public static string BlobRunId(string container, string blobName, string etag) =>
        "blob-" + StorageKeys.Hash($"{container}/{blobName}|{etag.Trim('"')}", 24);

    async Task<StartedRun> StartAsync(DurableTaskClient client, RunInput input, CancellationToken ct)
    {
        var record = new RunRecord(input.RunId, input.Name, input.Source, input.InputBlob, NewToken(), DateTimeOffset.UtcNow);
        var added = await catalog.TryAddAsync(record, ct);
        if (!added)
            record = (await catalog.GetAsync(input.RunId, ct))!;

        // A blob run whose host crashed between registering and scheduling has a record but no instance; the
        // next trigger of the same upload schedules it here.
        if (!added && await client.GetInstanceAsync(input.RunId, ct) is not null)
            return new StartedRun(input.RunId, record.ReviewToken, AlreadyExisted: true);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(RunOrchestrator), input with { InputBlob = record.InputBlob },
                new StartOrchestrationOptions { InstanceId = input.RunId }, ct);
        }
        catch when (added)
        {
            // Leave no run that can never start; the caller sees the error and may retry.
            await catalog.DeleteAsync(input.RunId, CancellationToken.None);
            throw;
        }
        return new StartedRun(input.RunId, record.ReviewToken, !added);
    }

    public async Task<RunView?> GetAsync(DurableTaskClient client, string runId, CancellationToken ct)
    {
        var record = await catalog.GetAsync(runId, ct);
        if (record is null) return null;
        var instance = await client.GetInstanceAsync(runId, getInputsAndOutputs: true, ct);
        return ToView(record, instance);
    }

    public async Task<IReadOnlyList<(RunView View, string ReviewToken)>> ListAsync(DurableTaskClient client, int take, CancellationToken ct)
    {
        var records = await catalog.ListRecentAsync(take, ct);
        var views = new List<(RunView, string)>();
        foreach (var record in records)
            views.Add((ToView(record, await client.GetInstanceAsync(record.RunId, getInputsAndOutputs: true, ct)), record.ReviewToken));
        return views;
    }

    static RunView ToView(RunRecord record, OrchestrationMetadata? instance)
    {
        var progress = instance?.ReadCustomStatusAs<RunProgress>() ?? new RunProgress(RunStatus.Pending);
        var status = instance?.RuntimeStatus switch
        {
            null when record.Rejection is not null => RunStatus.Failed,
            null or OrchestrationRuntimeStatus.Pending => RunStatus.Pending,
            OrchestrationRuntimeStatus.Completed => RunStatus.Completed,
            OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated => RunStatus.Failed,
            _ => progress.Phase,
        };
        var error = status == RunStatus.Failed
            // The Azure Storage backend keeps a failed run's message as its output, not as failure details.
            ? record.Rejection ?? instance?.FailureDetails?.ErrorMessage ?? instance?.SerializedOutput ?? "The run was terminated."
            : null;
        var result = status == RunStatus.Completed ? instance?.ReadOutputAs<RunResult>() : null;
        return new RunView(record.RunId, record.Name, record.Source, record.CreatedAt, status, progress with { Phase = status }, error, result);
    }

    public async Task<Outcome<IReadOnlyList<ReviewItemView>>> GetReviewItemsAsync(string runId, string? token, CancellationToken ct)
    {
        var check = await AuthorizeAsync<IReadOnlyList<ReviewItemView>>(runId, token, ct);
        if (check is not null) return check;

        var views = new List<ReviewItemView>();
        foreach (var item in (await reviews.ListItemsAsync(runId, ct)).OrderBy(i => i.ItemId, StringComparer.Ordinal))
        {
            var pair = await pairs.GetAsync(runId, item.PairId, ct);
            if (pair is null) continue;
            var (first, second) = item.Flipped ? (pair.ResponseB, pair.ResponseA) : (pair.ResponseA, pair.ResponseB);
            views.Add(new ReviewItemView(item.ItemId, pair.InputId, pair.Prompt, pair.Category, first, second));
        }
        return Outcome<IReadOnlyList<ReviewItemView>>.Ok(views);
    }

    public async Task<Outcome<bool>> SubmitReviewAsync(DurableTaskClient client, string runId, string? token,
        string? itemId, string? reviewer, string? preference, CancellationToken ct)
    {
        var check = await AuthorizeAsync<bool>(runId, token, ct);
        if (check is not null) return check;

        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(itemId)) errors.Add("itemId: required.");
        if (string.IsNullOrWhiteSpace(reviewer)) errors.Add("reviewer: required.");
        else if (reviewer.Length > 200) errors.Add("reviewer: at most 200 characters.");
        ReviewLabel? label = preference?.Trim().ToLowerInvariant() switch
        {
            "first" => ReviewLabel.First,
            "second" => ReviewLabel.Second,
            "tie" => ReviewLabel.Tie,
            _ => null,
        };
        if (label is null) errors.Add($"preference: '{preference}' is not one of first, second, tie.");
        if (errors.Count > 0) return Outcome<bool>.Invalid("The review is invalid.", errors);

        var item = await reviews.GetItemAsync(runId, itemId!, ct);
        if (item is null) return Outcome<bool>.NotFound($"Run '{runId}' has no review item '{itemId}'.");
        var (runtime, phase) = await PhaseAsync(client, runId, ct);
        // Labels are taken only while the run waits for them, so every accepted label reaches the review loop.
        if (runtime != OrchestrationRuntimeStatus.Running || phase != RunStatus.AwaitingReview)
            return Outcome<bool>.Conflict($"Run '{runId}' is not awaiting review (status {phase?.ToString() ?? runtime?.ToString() ?? "Pending"}).");

        var reviewerName = reviewer!.Trim();
        // The table keeps every submission; the report counts the labels the run's review loop receives.
        await reviews.SaveLabelAsync(runId, new ReviewLabelRecord(item.ItemId, reviewerName, label!.Value, DateTimeOffset.UtcNow), ct);
        await client.RaiseEventAsync(runId, RunEvents.ReviewSubmitted, new ReviewSubmitted(item.ItemId, reviewerName, label.Value), ct);
        return Outcome<bool>.Ok(true);
    }

    public async Task<Outcome<bool>> CloseReviewAsync(DurableTaskClient client, string runId, string? token, CancellationToken ct)
    {
        var check = await AuthorizeAsync<bool>(runId, token, ct);
        if (check is not null) return check;
        // Closing before the review phase is allowed: the event waits in the run, which then skips review.
        var (runtime, phase) = await PhaseAsync(client, runId, ct);
        if (runtime is not (OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending) || phase == RunStatus.Reporting)
            return Outcome<bool>.Conflict($"Run '{runId}' is past its review phase.");
        await client.RaiseEventAsync(runId, RunEvents.CloseReview, true, ct);
        return Outcome<bool>.Ok(true);
    }

    /// <summary>Opens a finished run's output blob; Conflict while the run is still going.</summary>
    public async Task<Outcome<Stream>> OpenOutputAsync(DurableTaskClient client, string runId, string name, CancellationToken ct)
    {
        var view = await GetAsync(client, runId, ct);
        if (view is null) return Outcome<Stream>.NotFound($"Run '{runId}' does not exist.");
        if (view.Status != RunStatus.Completed)
            return Outcome<Stream>.Conflict($"Run '{runId}' is {view.Status}; its {name} exists once it is Completed.");
        var stream = await output.OpenAsync(runId, name, ct);
        return stream is null ? Outcome<Stream>.NotFound($"Run '{runId}' has no {name}.") : Outcome<Stream>.Ok(stream);
    }

    async Task<Outcome<T>?> AuthorizeAsync<T>(string runId, string? token, CancellationToken ct)
    {
        var record = await catalog.GetAsync(runId, ct);
        if (record is null) return Outcome<T>.NotFound($"Run '{runId}' does not exist.");
        if (string.IsNullOrEmpty(token) || !CryptographicOperations.FixedTimeEquals(
                Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(record.ReviewToken)))
            return Outcome<T>.Unauthorized();
        return null;
    }

    static async Task<(OrchestrationRuntimeStatus? Runtime, RunStatus? Phase)> PhaseAsync(
        DurableTaskClient client, string runId, CancellationToken ct)
    {
        var instance = await client.GetInstanceAsync(runId, getInputsAndOutputs: true, ct);
        return (instance?.RuntimeStatus, instance?.ReadCustomStatusAs<RunProgress>()?.Phase);
    }

    /// <summary>Every run needs the judge, so a judge that cannot be built refuses runs up front.</summary>
    string? JudgeProblem() =>
        llm.Value.Validate() is { Count: > 0 } problems ? "The judge is not configured: " + string.Join(" ", problems) : null;

    static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
