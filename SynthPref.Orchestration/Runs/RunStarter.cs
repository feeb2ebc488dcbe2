using System.Security.Cryptography;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using SynthPref.Orchestration.Batch;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Revision;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Storage;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Orchestration.Runs;

/// <summary>
/// Starts runs, from HTTP or from an upload. Both copy the input into the run first, so nothing the caller changes
/// later can change the run. The durable client is a parameter because Azure Functions binds it per invocation.
/// </summary>
public sealed class RunStarter(RunCatalog catalog, InputStore input, IOptions<LlmOptions> llm, IOptions<JudgingOptions> judging,
    JudgePanel panel, LlmClients clients, ConstitutionStore constitutions, IOptions<InputOptions> inputLimits, BatchPlanner batches)
{
    public const string HttpSource = "http";

    /// <summary>Run names are shown in lists and reports, and stored in a Table property.</summary>
    public const int MaxNameChars = 1024;

    JudgingLimits Limits => new(judging.Value.Window, llm.Value.MaxConcurrency, Math.Max(1, judging.Value.ItemsPerActivity),
        Math.Max(1, judging.Value.ItemsPerExecution));

    public static string NewRunId() => $"run-{DateTime.UtcNow:yyyyMMddHHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    /// <summary>Where a run's inline items go as they stream in: validated, and written to the run's own copy.</summary>
    public InlineInput NewInlineInput(string runId) => new(input, runId, inputLimits.Value);

    /// <summary>
    /// Starts a run from inline items (already streamed through <paramref name="inline"/>) or a blob reference. Inline
    /// items are checked as they arrive, so the caller hears about bad lines at once; blob input is checked by the run.
    /// </summary>
    public async Task<Outcome<StartedRun>> StartFromHttpAsync(DurableTaskClient client, string runId, string? name, InlineInput? inline,
        string? inputBlob, System.Text.Json.JsonElement? options, IReadOnlyList<FieldError> bodyErrors, CancellationToken ct)
    {
        var errors = new List<FieldError>(bodyErrors);
        var hasItems = inline is not null;
        if (hasItems == (inputBlob is not null))
            errors.Add(FieldError.General("Give exactly one of 'items' (inline input objects) or 'inputBlob' (\"container/path.jsonl\")."));
        if (name is { Length: > MaxNameChars })
            errors.Add(new FieldError("name", $"is {name.Length} characters long; the most is {MaxNameChars}."));
        var requested = RequestedOptions.FromJson(options, errors);
        var settings = RunOptionsParser.Resolve(requested, runId, Limits, errors, panel.Resolve);
        settings = WithBatch(settings, requested.Bool(RunOptionsParser.Batch), $"options.{RunOptionsParser.Batch}", errors, out var batchProblem);
        // An unknown judge is the caller's mistake (400); a known one that cannot be built is the host's (503).
        if (errors.Count == 0 && (LlmProblem(settings) ?? batchProblem) is { } problem) return Outcome<StartedRun>.Unavailable(problem);
        if (inputBlob is not null && InputReferenceProblem(inputBlob) is { } refused)
            errors.Add(new FieldError("inputBlob", refused));

        // Every problem at once: bad options do not hide bad items.
        if (inline is not null)
        {
            var parsed = inline.Finish(settings.CritiqueRevise, settings.RejectEmptyResponses);
            if (parsed.Rejection is { } rejection)
            {
                errors.AddRange(rejection.Errors.Select(e => new FieldError(e.Line == 0 ? e.Field : $"line {e.Line}.{e.Field}", e.ToString())));
                return Outcome<StartedRun>.Invalid(rejection.Message, errors);
            }
            if (parsed.Items == 0) errors.Add(new FieldError("items", "the array is empty."));
        }
        if (errors.Count > 0) return Outcome<StartedRun>.Invalid("The run request is invalid.", errors);
        if (settings.ConstitutionSource is { } constitution)
        {
            var copy = await constitutions.SnapshotAsync(runId, constitution, ct);
            if (copy.Reference is null)
                return Outcome<StartedRun>.Invalid("The run's constitution is invalid.", copy.Errors.Select(e => new FieldError("options.constitution", e)).ToList());
            settings = settings with { Constitution = copy.Reference };
        }

        string reference;
        var inputName = inline is not null ? "items" : inputBlob!;
        if (inline is not null)
            reference = await inline.CommitAsync(ct);
        else
        {
            var snapshot = await input.SnapshotInputAsync(runId, inputBlob!, etag: null, ct, inputLimits.Value.MaxInputBytes);
            if (snapshot.Reference is null)
                return Outcome<StartedRun>.Invalid("The run request is invalid.", [new FieldError("inputBlob", snapshot.Error!)]);
            reference = snapshot.Reference;
        }
        return Outcome<StartedRun>.Ok(await StartAsync(client, new RunInput(runId, name, HttpSource, inputName, reference, settings), ct));
    }

    /// <summary>
    /// A run may read only what was put there to be read: blobs in a configured input container, never another run's
    /// input copy or outputs. Names that a URL could resolve elsewhere ("..", ".") are refused too.
    /// </summary>
    public string? InputReferenceProblem(string reference)
    {
        var allowed = inputLimits.Value.InputContainers();
        if (BlobReference.Problem(reference, "container/path.jsonl") is { } invalid)
            return invalid;
        BlobReference.TryParse(reference, out var container, out _);
        if (!allowed.Contains(container, StringComparer.Ordinal))
            return $"'{reference}' is not in an input container: a run may read only from {string.Join(" or ", allowed)} (Input:Containers), " +
                   "never from another run's copies or outputs.";
        return null;
    }

    /// <summary>
    /// The blob trigger's entry: the id comes from the blob's name and ETag, so one upload is one run, however often
    /// the trigger fires for it. An upload refused once (bad metadata, no usable judge) stays refused with its
    /// reason; re-uploading it makes a new version, and so a new run.
    /// </summary>
    public async Task<Outcome<StartedRun>> StartFromBlobAsync(DurableTaskClient client, string container, string blobName,
        string etag, IDictionary<string, string> metadata, CancellationToken ct)
    {
        var runId = BlobRunId(container, blobName, etag);
        var source = $"blob:{container}/{blobName}";
        var known = await catalog.GetAsync(runId, ct);
        if (known?.Rejection is { } refused)
            return Outcome<StartedRun>.Invalid(refused, []);

        var errors = new List<FieldError>();
        var requested = RequestedOptions.FromMetadata(metadata, errors);
        var settings = RunOptionsParser.Resolve(requested, runId, Limits, errors, panel.Resolve);
        settings = WithBatch(settings, requested.Bool(RunOptionsParser.Batch), $"metadata {RunOptionsParser.Batch}", errors, out var batchProblem);
        var name = metadata.FirstOrDefault(kv => kv.Key.Equals("name", StringComparison.OrdinalIgnoreCase)).Value ?? blobName;
        if (known is null && errors.Count == 0 && (LlmProblem(settings) ?? batchProblem) is { } problem) errors.Add(FieldError.General(problem));
        if (known is null && errors.Count == 0 && settings.ConstitutionSource is { } constitution)
        {
            var copy = await constitutions.SnapshotAsync(runId, constitution, ct);
            errors.AddRange(copy.Errors.Select(e => new FieldError("metadata constitution", e)));
        }
        if (settings.ConstitutionSource is not null)
            settings = settings with { Constitution = ConstitutionStore.CopyReference(runId) };
        if (errors.Count > 0)
        {
            // An upload has no caller to answer, so the refusal is recorded where runs are listed.
            var detail = $"Blob '{container}/{blobName}' was not started: {string.Join(" ", errors)}";
            await catalog.TryAddAsync(new RunRecord(runId, name, source, $"{container}/{blobName}", ReviewTokens.Hash(ReviewTokens.New()), DateTimeOffset.UtcNow, detail), ct);
            return Outcome<StartedRun>.Invalid(detail, errors);
        }
        // The run reads its own copy of exactly this upload (this ETag), made once when the run is first seen.
        var reference = known?.InputBlob;
        if (reference is null)
        {
            var snapshot = await input.SnapshotInputAsync(runId, $"{container}/{blobName}", etag, ct, inputLimits.Value.MaxInputBytes);
            if (snapshot.Reference is null)
                return Outcome<StartedRun>.NotFound(snapshot.Error!);
            reference = snapshot.Reference;
        }
        return Outcome<StartedRun>.Ok(await StartAsync(client,
            new RunInput(runId, name, source, $"{container}/{blobName}", reference, settings), ct));
    }

    public static string BlobRunId(string container, string blobName, string etag) =>
        "blob-" + StorageKeys.Hash($"{container}/{blobName}|{etag.Trim('"')}", 24);

    async Task<StartedRun> StartAsync(DurableTaskClient client, RunInput run, CancellationToken ct)
    {
        var token = ReviewTokens.New();
        var record = new RunRecord(run.RunId, run.Name, run.Source, run.InputBlob, ReviewTokens.Hash(token), DateTimeOffset.UtcNow,
            HideReference: !run.Settings.ShowReferenceToReviewers);
        var added = await catalog.TryAddAsync(record, ct);
        if (!added)
            record = (await catalog.GetAsync(run.RunId, ct))!;

        // A blob run whose host crashed between registering and scheduling has a record but no instance; the
        // next trigger of the same upload schedules it here.
        if (!added && await client.GetInstanceAsync(run.RunId, ct) is not null)
            return new StartedRun(run.RunId, null, AlreadyExisted: true);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(RunOrchestrator), run with { InputBlob = record.InputBlob },
                new StartOrchestrationOptions { InstanceId = run.RunId }, ct);
        }
        catch when (added)
        {
            // Leave no run that can never start; the caller sees the error and may retry.
            await catalog.DeleteAsync(run.RunId, CancellationToken.None);
            throw;
        }
        return new StartedRun(run.RunId, added ? token : null, !added);
    }

    /// <summary>
    /// A new review link for the run, replacing the one before: the only way to a link for a run started by an upload
    /// (nobody was there to hand it to), and how a leaked link is revoked. Storage keeps only the new token's hash.
    /// </summary>
    public async Task<Outcome<string>> IssueReviewTokenAsync(string runId, CancellationToken ct)
    {
        var token = ReviewTokens.New();
        return await catalog.ReplaceReviewTokenAsync(runId, ReviewTokens.Hash(token), ct)
            ? Outcome<string>.Ok(token)
            : Outcome<string>.NotFound($"Run '{runId}' does not exist.");
    }

    /// <summary>Which of the run's roles go by batch (see <see cref="BatchPlanner"/>): the caller's contradictions are
    /// field errors; a section that cannot batch is the host's problem.</summary>
    RunSettings WithBatch(RunSettings settings, bool? option, string field, List<FieldError> errors, out string? hostProblem)
    {
        var decision = batches.Decide(option, settings.Cache, settings.BudgetTokens, RolesOf(settings));
        errors.AddRange(decision.RequestErrors.Select(e => new FieldError(field, e)));
        hostProblem = decision.HostProblems.Count > 0 ? "The LLM cannot batch: " + string.Join(" ", decision.HostProblems) : null;
        return settings with { Batch = decision.Plan };
    }

    /// <summary>The roles a run calls: its judges, the reviser when it revises, and the policy model (prompt-only items
    /// may be in any input).</summary>
    static IEnumerable<string> RolesOf(RunSettings settings)
    {
        foreach (var judge in settings.Judges is { Count: > 0 } named ? named : [JudgeVerdict.DefaultName])
            yield return JudgePanel.RoleOf(judge);
        if (settings.CritiqueRevise) yield return LlmRoles.Reviser;
        yield return LlmRoles.Policy;
        if (settings.ReferenceCategories is not { Count: 0 }) yield return LlmRoles.Reference;
    }

    /// <summary>Every run needs the judge, so a judge that cannot be built refuses runs up front.</summary>
    public string? JudgeProblem() =>
        llm.Value.Validate() is { Count: > 0 } problems ? "The judge is not configured: " + string.Join(" ", problems) : null;

    /// <summary>
    /// What is wrong with the LLM sections a run will call, each problem naming its key: its judges, the reviser when it
    /// revises, and the policy model (prompt-only items may turn up in any input, so it is always checked).
    /// </summary>
    public string? LlmProblem(RunSettings settings)
    {
        var problems = new List<string>();
        foreach (var judge in settings.Judges is { Count: > 0 } named ? named : [JudgeVerdict.DefaultName])
            problems.AddRange(panel.Problems(judge));
        if (settings.CritiqueRevise)
            problems.AddRange(clients.Problems(LlmRoles.Reviser));
        problems.AddRange(clients.Problems(LlmRoles.Policy));
        return problems.Count == 0 ? null : "The LLM is not configured: " + string.Join(" ", problems.Distinct());
    }
}
