using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Revision;
using SynthPref.Orchestration.Storage;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Orchestration.Runs;

/// <summary>
/// Starts runs, from HTTP or from an upload. Both copy the input into the run first, so nothing the caller changes
/// later can change the run. The durable client is a parameter because Azure Functions binds it per invocation.
/// </summary>
public sealed class RunStarter(RunCatalog catalog, InputStore input, IOptions<LlmOptions> llm, IOptions<JudgingOptions> judging,
    JudgePanel panel, LlmClients clients, ConstitutionStore constitutions)
{
    public const string HttpSource = "http";

    JudgingLimits Limits => new(judging.Value.Window, llm.Value.MaxConcurrency, Math.Max(1, judging.Value.ItemsPerActivity),
        Math.Max(1, judging.Value.ItemsPerGeneration));

    /// <summary>Starts a run from inline items (already JSON) or a blob reference. Inline items are checked
    /// here so the caller hears about bad lines at once; blob input is checked by the run itself.</summary>
    public async Task<Outcome<StartedRun>> StartFromHttpAsync(DurableTaskClient client, string? name, JsonElement? inlineItems,
        string? inputBlob, RunOptions? options, CancellationToken ct)
    {
        var runId = $"run-{DateTime.UtcNow:yyyyMMddHHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        var errors = new List<FieldError>();
        var hasItems = inlineItems is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined };
        if (hasItems == (inputBlob is not null))
            errors.Add(FieldError.General("Give exactly one of 'items' (inline input objects) or 'inputBlob' (\"container/path.jsonl\")."));
        var settings = RunOptionsParser.Resolve(options, runId, Limits, errors, panel.Resolve);
        // An unknown judge is the caller's mistake (400); a known one that cannot be built is the host's (503).
        if (errors.Count == 0 && LlmProblem(settings) is { } problem) return Outcome<StartedRun>.Unavailable(problem);

        // Every problem at once: bad options do not hide bad items.
        InputParseResult? parsed = null;
        if (hasItems)
        {
            parsed = InputReader.ParseItems(inlineItems!.Value, settings.CritiqueRevise);
            errors.AddRange(parsed.Errors.Select(e => new FieldError(e.Line == 0 ? e.Field : $"line {e.Line}.{e.Field}", e.ToString())));
            if (parsed.IsValid && parsed.Items.Count == 0) errors.Add(new FieldError("items", "the array is empty."));
            if (!parsed.IsValid)
                return Outcome<StartedRun>.Invalid(InputJsonl.FormatErrors(parsed.Errors, "items"), errors);
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
        var inputName = parsed is not null ? "items" : inputBlob!;
        if (parsed is not null)
            reference = await input.SaveInputAsync(runId, parsed.Items, ct);
        else
        {
            var snapshot = await input.SnapshotInputAsync(runId, inputBlob!, etag: null, ct);
            if (snapshot.Reference is null)
                return Outcome<StartedRun>.Invalid("The run request is invalid.", [new FieldError("inputBlob", snapshot.Error!)]);
            reference = snapshot.Reference;
        }
        return Outcome<StartedRun>.Ok(await StartAsync(client, new RunInput(runId, name, HttpSource, inputName, reference, settings), ct));
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
        var options = RunOptionsParser.FromMetadata(metadata, errors);
        var settings = RunOptionsParser.Resolve(options, runId, Limits, errors, panel.Resolve);
        var name = metadata.FirstOrDefault(kv => kv.Key.Equals("name", StringComparison.OrdinalIgnoreCase)).Value ?? blobName;
        if (known is null && errors.Count == 0 && LlmProblem(settings) is { } problem) errors.Add(FieldError.General(problem));
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
            await catalog.TryAddAsync(new RunRecord(runId, name, source, $"{container}/{blobName}", ReviewTokens.New(), DateTimeOffset.UtcNow, detail), ct);
            return Outcome<StartedRun>.Invalid(detail, errors);
        }
        // The run reads its own copy of exactly this upload (this ETag), made once when the run is first seen.
        var reference = known?.InputBlob;
        if (reference is null)
        {
            var snapshot = await input.SnapshotInputAsync(runId, $"{container}/{blobName}", etag, ct);
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
        var record = new RunRecord(run.RunId, run.Name, run.Source, run.InputBlob, ReviewTokens.New(), DateTimeOffset.UtcNow);
        var added = await catalog.TryAddAsync(record, ct);
        if (!added)
            record = (await catalog.GetAsync(run.RunId, ct))!;

        // A blob run whose host crashed between registering and scheduling has a record but no instance; the
        // next trigger of the same upload schedules it here.
        if (!added && await client.GetInstanceAsync(run.RunId, ct) is not null)
            return new StartedRun(run.RunId, record.ReviewToken, AlreadyExisted: true);
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
        return new StartedRun(run.RunId, record.ReviewToken, !added);
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
